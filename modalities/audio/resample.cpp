// Windowed-sinc resampling (Kaiser window), evaluated through a table of polyphase kernels.
//
// With the rate ratio reduced to up / down (to / from), output sample n sits at input time
// t = n * down / up. Its value is sum_k x[k] h(t - k), zeros outside the signal, with
//   h(d) = fc * sinc(fc * d) * kaiser(d / W)      (d in input samples)
// where fc is the cut-off as a fraction of the input Nyquist frequency: 0.95 of the lower of the two
// Nyquists, centred in a transition band 0.9 .. 1.0 of it. A Kaiser beta of 9 (about 90 dB of
// stopband) over W = 64 lower-rate samples each side makes that band about 0.09 of the Nyquist wide
// (Kaiser's formula), so the passband is flat to 0.9 and the stopband starts just below 1.0.
//
// Only t's fraction matters for the weights, and it takes `up` values (p / up), so the kernels are
// tabulated once per phase. Streaming keeps the input from the oldest sample the next output needs;
// every output is computed by the same function from the same samples in the same order, so blocks
// of any size give exactly the one-shot result.
#include "modalities/audio/resample.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace unirep::modalities {
namespace {

constexpr double kBeta = 9.0;
constexpr double kHalfWidthLowRate = 64.0;  // kernel half width W, in samples of the lower rate
constexpr double kCutoff = 0.95;            // fc, as a fraction of the lower Nyquist
constexpr int64_t kMaxTablePhases = 4096;   // beyond this many phases weights are computed per output
constexpr int64_t kMaxRatio = 256;          // largest from/to or to/from accepted
constexpr int64_t kTrimSlack = 1 << 16;     // consumed input kept before the buffer is compacted

// Modified Bessel function of the first kind, order 0 (power series; converges fast for x <= 20).
double bessel_i0(double x) {
  double sum = 1, term = 1;
  for (int k = 1; k < 100; ++k) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum;
}

// Dot product in four interleaved double accumulators (a fixed order, so results are reproducible).
double dot(const float* w, const float* x, int64_t n) {
  double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 += static_cast<double>(w[i]) * x[i];
    a1 += static_cast<double>(w[i + 1]) * x[i + 1];
    a2 += static_cast<double>(w[i + 2]) * x[i + 2];
    a3 += static_cast<double>(w[i + 3]) * x[i + 3];
  }
  for (; i < n; ++i) a0 += static_cast<double>(w[i]) * x[i];
  return (a0 + a1) + (a2 + a3);
}

}  // namespace

struct Resampler::Impl {
  int64_t up = 1, down = 1;   // to / from, reduced
  double fc = 1;              // cut-off, fraction of the input Nyquist
  int64_t half = 1;           // W: taps each side, in input samples (2 * half taps in all)
  double i0_beta = 1;         // bessel_i0(kBeta), the window's normalization
  std::vector<float> table;   // up phases x 2*half taps, when up <= kMaxTablePhases
  std::vector<float> buffer;  // input samples from index buffer_start on
  int64_t buffer_start = 0, total_in = 0, next_out = 0;
  bool identity = false;
  std::vector<float> scratch_x, scratch_w;  // zero-padded inputs / untabulated weights

  double kernel(double d) const {
    const double x = d / static_cast<double>(half);
    if (std::abs(x) >= 1) return 0;
    const double arg = M_PI * fc * d;
    const double sinc = std::abs(arg) < 1e-12 ? 1.0 : std::sin(arg) / arg;
    return fc * sinc * bessel_i0(kBeta * std::sqrt(1 - x * x)) / i0_beta;
  }

  // Weight of tap i (input index floor(t) - half + 1 + i) at phase p (t's fraction is p / up).
  float weight(int64_t p, int64_t i) const {
    return static_cast<float>(
        kernel(static_cast<double>(p) / static_cast<double>(up) + static_cast<double>(half - 1 - i)));
  }

  float output(int64_t n) {
    const int64_t pos = n * down;  // t * up
    const int64_t base = pos / up, phase = pos % up;
    const int64_t first = base - half + 1, taps = 2 * half;
    const float* w;
    if (!table.empty()) {
      w = table.data() + phase * taps;
    } else {
      scratch_w.resize(static_cast<size_t>(taps));
      for (int64_t i = 0; i < taps; ++i) scratch_w[static_cast<size_t>(i)] = weight(phase, i);
      w = scratch_w.data();
    }
    if (first >= buffer_start && first + taps <= total_in)  // all inside the signal: no copy
      return static_cast<float>(dot(w, buffer.data() + (first - buffer_start), taps));
    scratch_x.assign(static_cast<size_t>(taps), 0.0f);  // near either end: zeros outside the signal
    for (int64_t i = 0; i < taps; ++i) {
      const int64_t k = first + i;
      if (k >= 0 && k < total_in) scratch_x[static_cast<size_t>(i)] = buffer[static_cast<size_t>(k - buffer_start)];
    }
    return static_cast<float>(dot(w, scratch_x.data(), taps));
  }

  // Highest input index output n reads.
  int64_t last_needed(int64_t n) const { return n * down / up + half; }

  void emit_ready(std::vector<float>& out) {
    while (last_needed(next_out) < total_in) out.push_back(output(next_out++));
    // Drop input no later output reads (the first tap only moves forward with n).
    const int64_t keep_from = std::max<int64_t>(0, next_out * down / up - half + 1);
    if (keep_from - buffer_start > kTrimSlack) {
      buffer.erase(buffer.begin(), buffer.begin() + (keep_from - buffer_start));
      buffer_start = keep_from;
    }
  }
};

namespace {

// The input rates convertible to `to_rate`, for error messages: within kMaxRatio either way.
std::string supported_rates(int to_rate) {
  const int64_t lowest = (static_cast<int64_t>(to_rate) + kMaxRatio - 1) / kMaxRatio;
  return "supported input rates for " + std::to_string(to_rate) + " Hz are " + std::to_string(lowest) + " to " +
         std::to_string(static_cast<int64_t>(to_rate) * kMaxRatio) + " Hz (at most " + std::to_string(kMaxRatio) +
         " times lower or higher)";
}

}  // namespace

Resampler::Resampler(int from_rate, int to_rate) : impl_(std::make_unique<Impl>()) {
  if (from_rate <= 0 || to_rate <= 0)
    throw std::invalid_argument("cannot resample " + std::to_string(from_rate) + " Hz to " + std::to_string(to_rate) +
                                " Hz: sample rates must be positive");
  if (static_cast<int64_t>(from_rate) > kMaxRatio * to_rate || static_cast<int64_t>(to_rate) > kMaxRatio * from_rate)
    throw std::invalid_argument("cannot resample " + std::to_string(from_rate) + " Hz to " + std::to_string(to_rate) +
                                " Hz: " + supported_rates(to_rate));
  auto& m = *impl_;
  const int64_t g = std::gcd<int64_t>(from_rate, to_rate);
  m.up = to_rate / g;
  m.down = from_rate / g;
  m.identity = m.up == m.down;
  if (m.identity) return;
  const double low = std::min(1.0, static_cast<double>(to_rate) / from_rate);  // lower Nyquist / input Nyquist
  m.fc = kCutoff * low;
  m.half = static_cast<int64_t>(std::ceil(kHalfWidthLowRate / low));
  m.i0_beta = bessel_i0(kBeta);
  if (m.up <= kMaxTablePhases) {
    const int64_t taps = 2 * m.half;
    m.table.resize(static_cast<size_t>(m.up * taps));
    for (int64_t p = 0; p < m.up; ++p)
      for (int64_t i = 0; i < taps; ++i) m.table[static_cast<size_t>(p * taps + i)] = m.weight(p, i);
  }
}

Resampler::~Resampler() = default;

void Resampler::process(const float* in, int64_t n, std::vector<float>& out) {
  if (n <= 0) return;
  auto& m = *impl_;
  if (m.identity) {
    out.insert(out.end(), in, in + n);
    return;
  }
  m.buffer.insert(m.buffer.end(), in, in + n);
  m.total_in += n;
  m.emit_ready(out);
}

void Resampler::flush(std::vector<float>& out) {
  auto& m = *impl_;
  if (m.identity) return;
  // round(total_in * up / down) outputs in all (halves round up); past the input, zeros.
  const int64_t total_out = (m.total_in * m.up * 2 + m.down) / (2 * m.down);
  while (m.next_out < total_out) out.push_back(m.output(m.next_out++));
}

std::vector<float> resample(const std::vector<float>& samples, int from_rate, int to_rate) {
  if (from_rate == to_rate && from_rate > 0) return samples;
  Resampler r(from_rate, to_rate);
  std::vector<float> out;
  out.reserve(static_cast<size_t>(static_cast<double>(samples.size()) * to_rate / from_rate) + 16);
  r.process(samples.data(), static_cast<int64_t>(samples.size()), out);
  r.flush(out);
  return out;
}

}  // namespace unirep::modalities
