#pragma once
// Test helpers for pure tones: make one, and measure a signal's frequency and level, so the decode
// and resample tests can check content rather than just lengths.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace unirep::testing {

inline std::vector<float> sine(double freq, double rate, size_t n, double amplitude = 0.5) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i)
    x[i] = static_cast<float>(amplitude * std::sin(2 * M_PI * freq * static_cast<double>(i) / rate));
  return x;
}

// x[from, to) as a vector (clamped to x's size).
inline std::vector<float> slice(const std::vector<float>& x, size_t from, size_t to) {
  to = std::min(to, x.size());
  from = std::min(from, to);
  return {x.begin() + static_cast<std::ptrdiff_t>(from), x.begin() + static_cast<std::ptrdiff_t>(to)};
}

inline double rms(const std::vector<float>& x) {
  double s = 0;
  for (float v : x) s += static_cast<double>(v) * v;
  return x.empty() ? 0.0 : std::sqrt(s / static_cast<double>(x.size()));
}

inline double db(double ratio) {
  return 20 * std::log10(ratio);
}

// Amplitude of the component at exactly `freq` (least-squares fit of a cos and a sin).
inline double amplitude_at(const std::vector<float>& x, double freq, double rate) {
  double cc = 0, ss = 0, cs = 0, xc = 0, xs = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double w = 2 * M_PI * freq * static_cast<double>(i) / rate;
    const double c = std::cos(w), s = std::sin(w);
    cc += c * c, ss += s * s, cs += c * s, xc += x[i] * c, xs += x[i] * s;
  }
  const double det = cc * ss - cs * cs;
  if (det <= 0) return 0;
  const double a = (xc * ss - xs * cs) / det, b = (xs * cc - xc * cs) / det;
  return std::hypot(a, b);
}

// Frequency of the strongest DFT bin of the Hann-windowed signal (refined by a parabola through the
// peak and its neighbours). O(n^2 / 2): keep n to a few thousand.
inline double peak_frequency(const std::vector<float>& x, double rate) {
  const size_t n = x.size();
  if (n < 4) return 0;
  std::vector<double> w(n), mag(n / 2 + 1);
  for (size_t i = 0; i < n; ++i)
    w[i] = x[i] * (0.5 - 0.5 * std::cos(2 * M_PI * static_cast<double>(i) / static_cast<double>(n)));
  for (size_t k = 1; k <= n / 2; ++k) {  // Goertzel per bin
    const double coeff = 2 * std::cos(2 * M_PI * static_cast<double>(k) / static_cast<double>(n));
    double s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; ++i) {
      const double s0 = w[i] + coeff * s1 - s2;
      s2 = s1, s1 = s0;
    }
    mag[k] = std::sqrt(std::max(0.0, s1 * s1 + s2 * s2 - coeff * s1 * s2));
  }
  size_t best = 1;
  for (size_t k = 1; k <= n / 2; ++k)
    if (mag[k] > mag[best]) best = k;
  double offset = 0;
  if (best > 1 && best < n / 2) {
    const double a = std::log(mag[best - 1] + 1e-30), b = std::log(mag[best] + 1e-30),
                 c = std::log(mag[best + 1] + 1e-30);
    const double denom = a - 2 * b + c;
    if (denom != 0) offset = 0.5 * (a - c) / denom;
  }
  return (static_cast<double>(best) + offset) * rate / static_cast<double>(n);
}

// Frequency from upward zero crossings (linear interpolation between samples).
inline double zero_crossing_frequency(const std::vector<float>& x, double rate) {
  double first = -1, last = -1;
  int count = 0;
  for (size_t i = 1; i < x.size(); ++i) {
    if (x[i - 1] < 0 && x[i] >= 0) {
      const double t = static_cast<double>(i - 1) + x[i - 1] / (x[i - 1] - x[i]);
      if (first < 0) first = t;
      last = t;
      ++count;
    }
  }
  return count < 2 ? 0.0 : (count - 1) * rate / (last - first);
}

}  // namespace unirep::testing
