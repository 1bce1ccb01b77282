#include "real_fft.h"

#include <cmath>
#include <stdexcept>

namespace unirep::modalities {

RealFft::RealFft(int64_t n) : n_(n), half_(n / 2) {
  if (n < 4 || (n & (n - 1)) != 0) throw std::invalid_argument("RealFft: size must be a power of two >= 4");
  int bits = 0;
  while ((int64_t{1} << bits) < half_) ++bits;
  bitrev_.resize(static_cast<size_t>(half_));
  for (int64_t i = 0; i < half_; ++i) {
    int64_t r = 0;
    for (int b = 0; b < bits; ++b)
      if (i & (int64_t{1} << b)) r |= int64_t{1} << (bits - 1 - b);
    bitrev_[static_cast<size_t>(i)] = static_cast<int32_t>(r);
  }
  for (int64_t k = 0; k < half_ / 2; ++k) {
    tw_re_.push_back(static_cast<float>(std::cos(2 * M_PI * k / half_)));
    tw_im_.push_back(static_cast<float>(-std::sin(2 * M_PI * k / half_)));
  }
  for (int64_t k = 0; k <= half_ / 2; ++k) {
    split_re_.push_back(static_cast<float>(std::cos(2 * M_PI * k / n_)));
    split_im_.push_back(static_cast<float>(-std::sin(2 * M_PI * k / n_)));
  }
}

void RealFft::power_spectrum(float* frame, float* power) const {
  const int64_t h = half_;
  // z[j] = x[2j] + i x[2j+1], in bit-reversed order.
  thread_local std::vector<float> re, im;
  re.resize(static_cast<size_t>(h));
  im.resize(static_cast<size_t>(h));
  for (int64_t j = 0; j < h; ++j) {
    const int32_t r = bitrev_[static_cast<size_t>(j)];
    re[static_cast<size_t>(r)] = frame[2 * j];
    im[static_cast<size_t>(r)] = frame[2 * j + 1];
  }
  float* pr = re.data();
  float* pi = im.data();
  // Iterative radix-2 decimation in time.
  for (int64_t len = 2; len <= h; len <<= 1) {
    const int64_t m = len / 2, stride = h / len;
    for (int64_t start = 0; start < h; start += len) {
      for (int64_t k = 0; k < m; ++k) {
        const float wr = tw_re_[static_cast<size_t>(k * stride)], wi = tw_im_[static_cast<size_t>(k * stride)];
        const int64_t a = start + k, b = a + m;
        const float xr = pr[b] * wr - pi[b] * wi;
        const float xi = pr[b] * wi + pi[b] * wr;
        pr[b] = pr[a] - xr;
        pi[b] = pi[a] - xi;
        pr[a] += xr;
        pi[a] += xi;
      }
    }
  }
  // Split: X[k] = (Z[k] + conj Z[h-k]) / 2 + w^k (Z[k] - conj Z[h-k]) / (2i), w = exp(-2 pi i / n).
  power[0] = (pr[0] + pi[0]) * (pr[0] + pi[0]);
  power[h] = (pr[0] - pi[0]) * (pr[0] - pi[0]);
  for (int64_t k = 1; k <= h / 2; ++k) {
    const int64_t j = h - k;
    const float er = 0.5f * (pr[k] + pr[j]), ei = 0.5f * (pi[k] - pi[j]);    // even part
    const float orr = 0.5f * (pi[k] + pi[j]), oi = -0.5f * (pr[k] - pr[j]);  // odd part
    const float wr = split_re_[static_cast<size_t>(k)], wi = split_im_[static_cast<size_t>(k)];
    const float tr = orr * wr - oi * wi, ti = orr * wi + oi * wr;
    const float xr = er + tr, xi = ei + ti;     // X[k]
    const float yr = er - tr, yi = -(ei - ti);  // X[h - k] = conj(E - W O)
    power[k] = xr * xr + xi * xi;
    power[j] = yr * yr + yi * yi;
  }
}

}  // namespace unirep::modalities
