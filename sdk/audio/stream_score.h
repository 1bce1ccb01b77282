#pragma once
// How well keyword events match the truth of a recorded stream (docs/audio.md, "Streaming"): an
// event is a hit when it names a keyword said from start_s to end_s and is decided within
// [start_s, end_s + max_delay_s]; each keyword said is hit at most once; every other event is a false
// alarm. Recall, false alarms per hour of stream, and the latency from the end of a keyword to its
// event. The curve replays the windows' scores through the detector at each threshold.
#include "sdk/audio/audio_classifier.h"
#include "sdk/audio/keyword_detector.h"

#include <string>
#include <vector>

namespace unirep::sdk {

struct SaidKeyword {
  std::string keyword;
  double start_s = 0, end_s = 0;
};

struct StreamTruth {
  std::vector<SaidKeyword> keywords;
  double duration_s = 0;
};

// truth.json as `unirep data keyword-stream` writes it; errors name the file and the problem.
StreamTruth read_stream_truth(const std::string& path);

struct StreamScore {
  float threshold = 0;
  size_t said = 0, hits = 0, false_alarms = 0;
  double recall = 0, false_alarms_per_hour = 0;
  double median_latency_s = 0;  // over the hits; 0 when none
};

StreamScore score_stream(const std::vector<KeywordEvent>& events, const StreamTruth& truth, double max_delay_s = 1.5);

// One score per threshold, from the windows' scores (KeywordStreamOptions.keep_window_scores) and the
// other detector settings of `options`.
std::vector<StreamScore> stream_score_curve(const std::vector<WindowScores>& windows,
                                            const std::vector<std::string>& labels, KeywordStreamOptions options,
                                            const StreamTruth& truth, const std::vector<float>& thresholds);

}  // namespace unirep::sdk
