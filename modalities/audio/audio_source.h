#pragma once
// Private to modalities/audio: the interface AudioReader reads through, with one implementation per
// decoding library (sndfile_source.cpp, ffmpeg_source.cpp), and the checks they share.
#include "modalities/audio/decode.h"

#include <cstdint>
#include <memory>
#include <string>

namespace unirep::modalities {

// Limits on what a header may claim before we believe it.
constexpr int kMaxSampleRate = 768000;
constexpr int kMaxChannels = 64;

// Throws std::runtime_error("PATH: problem").
[[noreturn]] void fail(const std::string& path, const std::string& problem);

// Throws when a header's sample rate or channel count is outside the limits above.
void check_format(const std::string& path, int sample_rate, int channels);

// A decoder producing mono float samples at the file's own rate.
class AudioSource {
 public:
  virtual ~AudioSource() = default;
  // Up to `max_frames` mono samples into `out` (max_frames > 0); 0 at the end. Throws on errors.
  virtual int64_t read(float* out, int64_t max_frames) = 0;
  const AudioInfo& info() const { return info_; }

 protected:
  // Every block of decoded samples passes through here before the down-mix (so a bad channel
  // cannot hide in an average): throws "PATH: sample N (T s in) is nan: ..." for the first sample
  // outside sample_check.h's rule, and counts the frames, which give later blocks their position.
  void check_samples(const std::string& path, const float* interleaved, int64_t frames, int channels);

  AudioInfo info_;

 private:
  int64_t frames_checked_ = 0;
};

// libsndfile. On a file libsndfile cannot open, throws std::runtime_error carrying libsndfile's own
// message *without* the path prefix, so the caller can still try FFmpeg and then report it; every
// other problem (implausible header values, ...) throws with the "PATH: " prefix.
std::unique_ptr<AudioSource> open_sndfile_source(const std::string& path);

// FFmpeg (libavformat + libavcodec): the best audio stream of any container it demuxes.
std::unique_ptr<AudioSource> open_ffmpeg_source(const std::string& path);

}  // namespace unirep::modalities
