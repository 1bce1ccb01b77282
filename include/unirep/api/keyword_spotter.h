#pragma once
// Keyword spotting on live audio with a model file written by `unirep train audio` (docs/audio.md,
// "Streaming"). One KeywordSpotter (the loaded model) serves any number of streams; a stream takes
// samples as they come and reports keyword events.
//
//   unirep::KeywordSpotter spotter("keywords.safetensors", {.threads = 1});
//   auto stream = spotter.create_stream();
//   stream.accept_waveform(16000, chunk, n);         // any chunk size; float [-1, 1] or int16
//   while (stream.is_ready()) stream.decode();
//   for (const auto& e : stream.take_events()) std::printf("%s at %.2f s\n", e.keyword.c_str(), e.time_s);
//
// Thread safety: a spotter is immutable and shared by its streams. A stream may be fed from one
// thread while another decodes; decode() calls on one stream are serialized.
#include <unirep/api/export.h>
#include <unirep/api/runtime_options.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace unirep {

struct KeywordStreamOptions {
  double hop_s = 0.1;                       // a decision every hop (whole 10 ms frames)
  double window_s = 1.0;                    // what each decision hears (at most the model's 1.295 s)
  float threshold = 0.5f;                   // smoothed probability a keyword needs (the sensitivity)
  std::map<std::string, float> thresholds;  // per keyword, overriding `threshold`
  int smoothing = 3;                        // decisions averaged
  double refractory_s = 1.0;                // no event within this long after an event
  double silence_gate_db = -65.0;           // quieter windows skip the network (-200: never)
};

struct KeywordEvent {
  std::string keyword;
  int index = 0;       // label index
  float score = 0;     // smoothed probability
  double start_s = 0;  // the keyword's sound in the stream
  double end_s = 0;
  double time_s = 0;  // stream time at which it was decided
};

class KeywordStream;

class UNIREP_API KeywordSpotter {
 public:
  // Throws unirep::Error (kFileNotFound, kBadFile, kModelMismatch, kUnsupported; kInvalidArgument
  // for a model that cannot stream, such as a multi-label one).
  explicit KeywordSpotter(const std::string& model_file, const RuntimeOptions& options = {});
  ~KeywordSpotter();
  KeywordSpotter(const KeywordSpotter&);
  KeywordSpotter& operator=(const KeywordSpotter&);
  KeywordSpotter(KeywordSpotter&&) noexcept;
  KeywordSpotter& operator=(KeywordSpotter&&) noexcept;

  const std::vector<std::string>& labels() const;
  int sample_rate() const;  // what the model listens at (other rates are resampled)
  // kInvalidArgument naming the option when one is out of range or names no label.
  KeywordStream create_stream(const KeywordStreamOptions& options = {}) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
  friend class KeywordStream;
};

class UNIREP_API KeywordStream {
 public:
  ~KeywordStream();
  KeywordStream(KeywordStream&&) noexcept;
  KeywordStream& operator=(KeywordStream&&) noexcept;

  // Mono samples at `sample_rate` Hz (1000 to 768000; the first push fixes it until reset()).
  // kInvalidArgument for NaN, infinite or absurd samples (nothing of the push is taken), a rate
  // change, or a push after input_finished().
  void accept_waveform(int sample_rate, const float* samples, size_t n);
  void accept_waveform(int sample_rate, const int16_t* samples, size_t n);
  void input_finished();  // scores the tail not yet covered
  bool is_ready() const;
  void decode();
  std::vector<KeywordEvent> take_events();
  void reset();           // equal to a new stream
  double time_s() const;  // stream time of the samples accepted

 private:
  friend class KeywordSpotter;
  struct Impl;
  explicit KeywordStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace unirep
