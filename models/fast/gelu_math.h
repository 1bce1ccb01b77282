#pragma once
// Internal to models/fast: GELU (the erf form) written so that GCC vectorizes the loops that call
// it (no library calls, no branches), for the fused training kernels (training_kernels.cpp).
//
// erf follows Abramowitz & Stegun 7.1.26 (absolute error <= 1.5e-7), the formula ATen's vectorized
// CPU GELU uses, so results stay within float32 noise of at::gelu; exp is Cephes' expf polynomial
// on a power-of-two range reduction. docs/performance.md ("Training path") gives the measured error.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace unirep::models {

// exp(x) for x <= 0; 0 below about -87.3 (where float32 would go subnormal).
inline float exp_nonpositive(float x) {
  // n = round(x / ln 2), computed on a positive range so that truncation rounds.
  const int32_t n = std::max(static_cast<int32_t>(x * 1.44269504088896341f + 128.5f) - 128, -127);
  const float nf = static_cast<float>(n);
  const float r = x - nf * 0.693359375f + nf * 2.12194440e-4f;  // x - n ln 2 in two parts
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (n + 127) << 23;  // 2^n; 0 for n = -127
  float two_to_n;
  std::memcpy(&two_to_n, &bits, sizeof two_to_n);
  return p * two_to_n;
}

// The standard normal's cdf and density at x: GELU(x) = x cdf, GELU'(x) = cdf + x density.
inline void normal_cdf_and_density(float x, float& cdf, float& density) {
  const float t = 1.0f / (1.0f + 0.3275911f * 0.70710678118654752f * std::fabs(x));
  const float e = exp_nonpositive(-0.5f * x * x);  // exp(-(x / sqrt 2)^2), shared by both
  float poly = 1.061405429f;
  poly = poly * t - 1.453152027f;
  poly = poly * t + 1.421413741f;
  poly = poly * t - 0.284496736f;
  poly = poly * t + 0.254829592f;
  const float erf = std::copysign(1.0f - poly * t * e, x);
  cdf = 0.5f + 0.5f * erf;
  density = 0.39894228040143268f * e;
}

}  // namespace unirep::models
