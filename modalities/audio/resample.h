#pragma once
// Sample-rate conversion with a band-limited (windowed-sinc / polyphase) resampler: passband flat to
// about 0.9 x the lower Nyquist frequency, stopband attenuation of at least 80 dB, so a sine keeps
// its frequency and level. Output length is round(n * to / from).
#include <cstdint>
#include <memory>
#include <vector>

namespace unirep::modalities {

std::vector<float> resample(const std::vector<float>& samples, int from_rate, int to_rate);

// Streaming form for long recordings: feed blocks, then flush once; the concatenated output equals
// resample() of the concatenated input (up to float rounding).
class Resampler {
 public:
  Resampler(int from_rate, int to_rate);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;
  // Appends the output produced by `n` more input samples to `out`.
  void process(const float* in, int64_t n, std::vector<float>& out);
  // Appends the remaining output (the filter's tail) to `out`.
  void flush(std::vector<float>& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unirep::modalities
