#pragma once
// From window scores to keyword events (docs/audio.md, "Streaming"): the scores of the last few
// windows are averaged (posterior smoothing); a keyword fires when its smoothed probability reaches
// its threshold and no event fired within the refractory period before, so one utterance gives one
// event. Labels starting with '_' (_unknown_, _silence_) never fire. The keyword stream runs one per
// stream; the stream evaluation replays stored window scores through it at many thresholds.
#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace unirep::sdk {

struct KeywordStreamOptions {
  double hop_s = 0.1;  // a decision every hop; rounded to whole frames (10 ms)
  // The audio each decision hears: 1 s, the length of a Speech Commands clip, padded to the model's
  // input like a training clip (docs/audio.md, "Streaming": the window). At most the model's input
  // (128 frames, 1.295 s); longer asks for that.
  double window_s = 1.0;
  float threshold = 0.5f;                   // smoothed probability a keyword needs to fire
  std::map<std::string, float> thresholds;  // per keyword, overriding `threshold`
  int smoothing = 3;                        // decisions averaged (1: none)
  double refractory_s = 1.0;                // no event within this long after an event
  int batch = 8;                            // windows per forward pass when several are ready
  // Windows whose loudest 25 ms frame is quieter than a sine of this RMS level (dB below full scale)
  // skip the network and count as _silence_ (docs/audio.md, "Streaming": a muted or silent stream
  // costs only its front end). -200 turns the gate off.
  double silence_gate_db = -65.0;
  bool keep_window_scores = false;  // record every window's scores (KeywordStream::take_window_scores())
};

struct KeywordEvent {
  std::string keyword;
  int index = 0;       // label index in the model
  float score = 0;     // smoothed probability when it fired
  double start_s = 0;  // where the keyword's sound lies in the stream (the loud part of the window)
  double end_s = 0;
  double time_s = 0;  // stream time at which the event was decided (end of its window)
};

// One scored window: its end in stream time, the loud part of it, and a probability per label.
struct ScoredWindow {
  double end_s = 0;
  double loud_begin_s = 0, loud_end_s = 0;
  const float* probs = nullptr;
};

// std::invalid_argument naming the field when an option is out of range or names no label.
void check_keyword_stream_options(const KeywordStreamOptions& options, const std::vector<std::string>& labels);

class KeywordDetector {
 public:
  KeywordDetector(std::vector<std::string> labels, const KeywordStreamOptions& options);
  // The event this window completes, if any.
  std::optional<KeywordEvent> push(const ScoredWindow& window);
  void reset();

 private:
  std::vector<std::string> labels_;
  std::vector<float> thresholds_;  // per label; above 1 for labels that never fire
  int smoothing_;
  double refractory_s_;
  std::deque<std::vector<float>> recent_;  // the last `smoothing_` windows' probabilities
  double refractory_until_ = -1;
};

}  // namespace unirep::sdk
