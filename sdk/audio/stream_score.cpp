#include "sdk/audio/stream_score.h"

#include "models/io/format_error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace unirep::sdk {

StreamTruth read_stream_truth(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw io::FormatError(path, "cannot be opened");
  std::ostringstream text;
  text << in.rdbuf();
  StreamTruth truth;
  try {
    const auto j = nlohmann::json::parse(text.str());
    truth.duration_s = j.at("duration_s").get<double>();
    for (const auto& k : j.at("keywords"))
      truth.keywords.push_back(
          {k.at("keyword").get<std::string>(), k.at("start_s").get<double>(), k.at("end_s").get<double>()});
  } catch (const nlohmann::json::exception& e) {
    throw io::FormatError(path, std::string("is not a stream truth file (duration_s, keywords[]): ") + e.what());
  }
  if (!(std::isfinite(truth.duration_s) && truth.duration_s > 0))
    throw io::FormatError(path, "duration_s must be a positive number of seconds");
  for (const auto& k : truth.keywords)
    if (!(std::isfinite(k.start_s) && std::isfinite(k.end_s) && k.start_s <= k.end_s))
      throw io::FormatError(path,
                            "keyword '" + k.keyword + "' has a start after its end or a time that is not a number");
  return truth;
}

StreamScore score_stream(const std::vector<KeywordEvent>& events, const StreamTruth& truth, double max_delay_s) {
  StreamScore s;
  s.said = truth.keywords.size();
  std::vector<bool> taken(truth.keywords.size(), false);
  std::vector<double> latencies;
  for (const auto& e : events) {
    bool hit = false;
    for (size_t i = 0; i < truth.keywords.size() && !hit; ++i) {
      const auto& k = truth.keywords[i];
      if (!taken[i] && k.keyword == e.keyword && e.time_s >= k.start_s && e.time_s <= k.end_s + max_delay_s) {
        taken[i] = hit = true;
        latencies.push_back(e.time_s - k.end_s);
      }
    }
    if (hit)
      ++s.hits;
    else
      ++s.false_alarms;
  }
  s.recall = s.said ? static_cast<double>(s.hits) / static_cast<double>(s.said) : 0.0;
  s.false_alarms_per_hour = static_cast<double>(s.false_alarms) / (truth.duration_s / 3600.0);
  if (!latencies.empty()) {
    std::nth_element(latencies.begin(), latencies.begin() + static_cast<std::ptrdiff_t>(latencies.size() / 2),
                     latencies.end());
    s.median_latency_s = latencies[latencies.size() / 2];
  }
  return s;
}

std::vector<StreamScore> stream_score_curve(const std::vector<WindowScores>& windows,
                                            const std::vector<std::string>& labels, KeywordStreamOptions options,
                                            const StreamTruth& truth, const std::vector<float>& thresholds) {
  std::vector<StreamScore> curve;
  for (const float t : thresholds) {
    options.threshold = t;
    options.thresholds.clear();
    KeywordDetector detector(labels, options);
    std::vector<KeywordEvent> events;
    for (const auto& w : windows)
      if (auto e = detector.push({w.end_s, w.start_s, w.end_s, w.scores.data()})) events.push_back(std::move(*e));
    auto s = score_stream(events, truth);
    s.threshold = t;
    curve.push_back(s);
  }
  return curve;
}

}  // namespace unirep::sdk
