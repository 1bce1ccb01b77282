#include "sdk/audio/keyword_detector.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace unirep::sdk {
namespace {

std::string number_text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

bool never_fires(const std::string& label) {
  return !label.empty() && label[0] == '_';
}

}  // namespace

void check_keyword_stream_options(const KeywordStreamOptions& o, const std::vector<std::string>& labels) {
  auto bad = [](const std::string& field, const std::string& why) {
    throw std::invalid_argument("KeywordStreamOptions." + field + " " + why);
  };
  if (!(std::isfinite(o.hop_s) && o.hop_s > 0))
    bad("hop_s", "must be a positive number of seconds, got " + number_text(o.hop_s));
  if (!(std::isfinite(o.window_s) && o.window_s >= 0.025 && o.window_s <= 3600))
    bad("window_s", "must be within [0.025, 3600] seconds, got " + number_text(o.window_s));
  if (!(o.threshold >= 0 && o.threshold <= 1))
    bad("threshold", "must be within [0, 1], got " + number_text(o.threshold));
  for (const auto& [label, t] : o.thresholds) {
    if (std::find(labels.begin(), labels.end(), label) == labels.end())
      bad("thresholds", "names '" + label + "', which is not one of the model's labels");
    if (!(t >= 0 && t <= 1)) bad("thresholds", "of '" + label + "' must be within [0, 1], got " + number_text(t));
  }
  if (o.smoothing < 1) bad("smoothing", "must be at least 1, got " + std::to_string(o.smoothing));
  if (!(std::isfinite(o.refractory_s) && o.refractory_s >= 0))
    bad("refractory_s", "must be a non-negative number of seconds, got " + number_text(o.refractory_s));
  if (o.batch < 1) bad("batch", "must be at least 1, got " + std::to_string(o.batch));
  if (!(o.silence_gate_db >= -200 && o.silence_gate_db <= 0))
    bad("silence_gate_db", "must be within [-200, 0] dB, got " + number_text(o.silence_gate_db));
}

KeywordDetector::KeywordDetector(std::vector<std::string> labels, const KeywordStreamOptions& o)
    : labels_(std::move(labels)), smoothing_(o.smoothing), refractory_s_(o.refractory_s) {
  check_keyword_stream_options(o, labels_);
  for (const auto& label : labels_) {
    const auto it = o.thresholds.find(label);
    thresholds_.push_back(never_fires(label) ? 2.0f : it != o.thresholds.end() ? it->second : o.threshold);
  }
}

std::optional<KeywordEvent> KeywordDetector::push(const ScoredWindow& w) {
  const size_t k = labels_.size();
  recent_.emplace_back(w.probs, w.probs + k);
  if (static_cast<int>(recent_.size()) > smoothing_) recent_.pop_front();
  if (w.end_s < refractory_until_) return std::nullopt;
  std::vector<float> smooth(k, 0.0f);
  for (const auto& d : recent_)
    for (size_t j = 0; j < k; ++j) smooth[j] += d[j] / static_cast<float>(recent_.size());
  int best = -1;
  for (size_t j = 0; j < k; ++j)
    if (smooth[j] >= thresholds_[j] && (best < 0 || smooth[j] > smooth[static_cast<size_t>(best)]))
      best = static_cast<int>(j);
  if (best < 0) return std::nullopt;
  refractory_until_ = w.end_s + refractory_s_;
  return KeywordEvent{labels_[static_cast<size_t>(best)],
                      best,
                      smooth[static_cast<size_t>(best)],
                      w.loud_begin_s,
                      w.loud_end_s,
                      w.end_s};
}

void KeywordDetector::reset() {
  recent_.clear();
  refractory_until_ = -1;
}

}  // namespace unirep::sdk
