#pragma once
// Classify audio with a model file written by `unirep train audio`: any audio file (WAV, FLAC, MP3,
// M4A, a video's sound track, ...) or a buffer of samples, to labels with scores. Recordings longer
// than the model's window (1.3 s by default) are scored in sliding windows: `segments` is the
// timeline, and `top` ranks labels by their best window.
//
//   unirep::AudioClassifier spotter("keywords.safetensors");
//   for (const auto& s : spotter.classify_file("clip.wav").top) std::printf("%s %.3f\n", s.label.c_str(), s.score);
//
// Thread safety: a loaded classifier is immutable; classify_* may be called concurrently from any
// number of threads. Copies are cheap and share the loaded model.
#include <unirep/api/export.h>
#include <unirep/api/results.h>
#include <unirep/api/runtime_options.h>

#include <memory>
#include <string>
#include <vector>

namespace unirep {

struct AudioClassification {
  std::vector<LabelScore> top;         // best first
  std::vector<AudioSegment> segments;  // neighbouring windows with the same best label, merged
  double duration_s = 0;
};

class UNIREP_API AudioClassifier {
 public:
  // Throws unirep::Error (kFileNotFound, kBadFile, kModelMismatch, kUnsupported).
  explicit AudioClassifier(const std::string& model_file, const RuntimeOptions& options = {});
  ~AudioClassifier();
  AudioClassifier(const AudioClassifier&);
  AudioClassifier& operator=(const AudioClassifier&);
  AudioClassifier(AudioClassifier&&) noexcept;
  AudioClassifier& operator=(AudioClassifier&&) noexcept;

  const std::vector<std::string>& labels() const;
  bool multi_label() const;
  int sample_rate() const;  // what the model listens at (other rates are resampled)

  AudioClassification classify_file(const std::string& path, int top_k = 5) const;
  // `frames` frames of `channels` interleaved float samples at `sample_rate` Hz, full scale
  // [-1, 1] (values up to +-1000 pass as headroom; NaN, infinities and beyond are refused as
  // kInvalidArgument); channels are averaged, the rate is converted.
  AudioClassification classify_samples(const float* samples, size_t frames, int channels, int sample_rate,
                                       int top_k = 5) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace unirep
