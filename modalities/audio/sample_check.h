#pragma once
// Which sample values count as audio. Float formats (32- and 64-bit WAV, CAF, AIFF-C, ...) may hold
// values beyond +-1, and moderate headroom above full scale is legitimate, so it passes unchanged;
// NaN, infinities and magnitudes no recording has (+-3e38, float64 values beyond float32's range)
// are refused, naming the first bad sample: they would turn every score into NaN
// (docs/audio.md, "Sample values"). The decoders check every block they read, and the SDK checks
// buffers handed to it, so one rule covers files and apps alike.
#include <cstdint>
#include <optional>
#include <string>

namespace unirep::modalities {

// 60 dB above full scale: far beyond any real mix's headroom, and far below where the filterbank's
// power spectrum would overflow float32 (magnitudes around 1e17).
constexpr float kMaxSampleMagnitude = 1000.0f;

struct BadSample {
  int64_t frame = 0;  // sample index within its channel, from 0
  int channel = 0;    // from 0
  float value = 0;
};

// The first of `frames` x `channels` interleaved samples that is NaN, infinite or beyond
// +-kMaxSampleMagnitude; nothing when every sample is fine. `first_frame` is added to the frame
// index (for blocks in the middle of a stream).
std::optional<BadSample> find_bad_sample(const float* interleaved, int64_t frames, int channels,
                                         int64_t first_frame = 0);

// "sample 4410 (0.100 s in) is nan: audio samples must be finite and within [-1000, 1000] (float
// audio spans [-1, 1])"; multi-channel audio names the channel ("sample 4410 of channel 2 ...",
// counted from 1); without a sample rate (0) the time is left out.
std::string describe_bad_sample(const BadSample& bad, int sample_rate, int channels);

}  // namespace unirep::modalities
