#pragma once
// Keyword spotting on a live stream (docs/audio.md, "Streaming"): one loaded keyword model serves
// any number of streams; each stream holds only its own state (the front end's unfinished frame,
// the frames its next window needs, the last few decisions).
//
//   auto spotter = unirep::sdk::KeywordSpotter::load("keywords.safetensors");
//   auto stream = spotter.create_stream();
//   stream.accept_waveform(16000, chunk.data(), chunk.size());   // any chunk size, int16 or float
//   while (stream.is_ready()) stream.decode();
//   for (const auto& e : stream.take_events()) ...                // e.keyword, e.score, e.time_s
//
// The filterbank frames are computed once, as samples arrive (modalities/audio/online_fbank.h); a
// decision is made every hop over the model's window (128 frames, 1.295 s at 16 kHz): the windows
// start where the clip classifier's sliding windows with the same hop start, and get its scores.
// Scores are smoothed over the last few decisions; a keyword fires when its smoothed score reaches
// its threshold, at most once per refractory period, so one utterance gives one event. Labels that
// start with '_' (Speech Commands' _unknown_ and _silence_) are classes like any other to the
// model, and never fire.
//
// Thread safety: a stream may be fed from one thread (an audio callback) while another decodes;
// decode() calls are serialized. Different streams are independent.
#include "sdk/audio/audio_classifier.h"
#include "sdk/audio/keyword_detector.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace unirep::sdk {

class KeywordStream;

class KeywordSpotter {
 public:
  static KeywordSpotter load(const std::string& model_path, const InferenceSettings& inference = {});
  // Needs a single-label model whose front end can stream (modalities/audio/online_fbank.h) and
  // removes each frame's DC offset (so the clip's mean, which a stream never knows, does not
  // matter); std::invalid_argument otherwise.
  explicit KeywordSpotter(AudioClassifier classifier);

  // std::invalid_argument naming the field when an option is out of range or names no label.
  KeywordStream create_stream(const KeywordStreamOptions& options = {}) const;
  const AudioClassifier& classifier() const { return *classifier_; }

 private:
  std::shared_ptr<const AudioClassifier> classifier_;
};

class KeywordStream {
 public:
  KeywordStream(std::shared_ptr<const AudioClassifier> classifier, const KeywordStreamOptions& options);
  ~KeywordStream();
  KeywordStream(KeywordStream&&) noexcept;
  KeywordStream& operator=(KeywordStream&&) noexcept;

  // Samples at `sample_rate` (resampled to the model's rate); float in [-1, 1] or 16-bit PCM. An
  // empty push does nothing. std::invalid_argument for a NaN, infinite or absurd sample (nothing of
  // the push is taken), for a rate other than the stream's first (reset() first), and after
  // input_finished().
  void accept_waveform(int sample_rate, const float* samples, int64_t n);
  void accept_waveform(int sample_rate, const int16_t* samples, int64_t n);
  // The input is complete: the tail not yet covered by a window gets one more (end-aligned) window,
  // as in the clip classifier.
  void input_finished();

  bool is_ready() const;  // a window waits for decode()
  // Scores up to options.batch ready windows, smooths, and turns them into events.
  void decode();
  std::vector<KeywordEvent> take_events();
  std::vector<WindowScores> take_window_scores();  // with options.keep_window_scores
  // Back to a new stream's state; the options stay.
  void reset();

  double time_s() const;  // stream time of the samples accepted so far

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace unirep::sdk
