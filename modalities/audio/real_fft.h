#pragma once
// Power spectrum of a real frame through a complex FFT of half the size (the standard "two for
// one" split), with twiddles and bit reversal precomputed. Sizes: powers of two from 4 up.
#include <cstdint>
#include <vector>

namespace unirep::modalities {

class RealFft {
 public:
  explicit RealFft(int64_t n);
  int64_t size() const { return n_; }
  // `frame` (n reals, overwritten as scratch) -> power[0 .. n/2] = |X_k|^2.
  void power_spectrum(float* frame, float* power) const;

 private:
  int64_t n_, half_;
  std::vector<int32_t> bitrev_;             // of the half-size complex FFT
  std::vector<float> tw_re_, tw_im_;        // exp(-2 pi i k / half), k < half / 2
  std::vector<float> split_re_, split_im_;  // exp(-2 pi i k / n), k <= half / 2
};

}  // namespace unirep::modalities
