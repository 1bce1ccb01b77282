// Kaldi-compatible filterbank, step for step as torchaudio.compliance.kaldi.fbank computes it.
#include "modalities/audio/fbank.h"

#include "real_fft.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <random>
#include <stdexcept>

namespace unirep::modalities {
namespace {

double mel_scale(double hz) {
  return 1127.0 * std::log(1.0 + hz / 700.0);
}

std::vector<float> make_window(const std::string& type, int64_t n, double blackman_coeff) {
  std::vector<float> w(static_cast<size_t>(n));
  const double a = 2 * M_PI / static_cast<double>(n - 1);  // symmetric windows, as Kaldi's
  for (int64_t i = 0; i < n; ++i) {
    const double hann = 0.5 - 0.5 * std::cos(a * i);
    double v;
    if (type == "hanning")
      v = hann;
    else if (type == "hamming")
      v = 0.54 - 0.46 * std::cos(a * i);
    else if (type == "povey")
      v = std::pow(hann, 0.85);
    else if (type == "rectangular")
      v = 1.0;
    else if (type == "blackman")
      v = blackman_coeff - 0.5 * std::cos(a * i) + (0.5 - blackman_coeff) * std::cos(2 * a * i);
    else
      throw std::invalid_argument("fbank: unknown window_type '" + type +
                                  "' (hanning, hamming, povey, rectangular, blackman)");
    w[static_cast<size_t>(i)] = static_cast<float>(v);
  }
  return w;
}

// One triangular filter, stored sparsely: weights for FFT bins first .. first + size - 1.
struct MelFilter {
  int64_t first = 0;
  std::vector<float> weights;
};

std::vector<MelFilter> make_mel_filters(const MelBanksOptions& o, double samp_freq, int64_t padded) {
  const int64_t num_fft_bins = padded / 2;  // the Nyquist bin gets weight 0, as in torchaudio
  const double nyquist = 0.5 * samp_freq;
  double high = o.high_freq;
  if (high <= 0) high += nyquist;
  if (o.num_bins < 3) throw std::invalid_argument("fbank: need at least 3 mel bins");
  if (o.low_freq < 0 || o.low_freq >= nyquist || high <= 0 || high > nyquist || high <= o.low_freq)
    throw std::invalid_argument("fbank: bad mel frequency range [" + std::to_string(o.low_freq) + ", " +
                                std::to_string(high) + "] for sample rate " + std::to_string(samp_freq));
  const double bin_width = samp_freq / static_cast<double>(padded);
  const double mel_low = mel_scale(o.low_freq), mel_high = mel_scale(high);
  const double delta = (mel_high - mel_low) / (o.num_bins + 1);
  std::vector<MelFilter> filters(static_cast<size_t>(o.num_bins));
  for (int b = 0; b < o.num_bins; ++b) {
    const double left = mel_low + b * delta, center = left + delta, right = center + delta;
    auto& f = filters[static_cast<size_t>(b)];
    f.first = -1;
    for (int64_t k = 0; k < num_fft_bins; ++k) {
      const double mel = mel_scale(bin_width * static_cast<double>(k));
      const double up = (mel - left) / (center - left), down = (right - mel) / (right - center);
      const double w = std::max(0.0, std::min(up, down));
      if (w > 0) {
        if (f.first < 0) f.first = k;
        f.weights.resize(static_cast<size_t>(k - f.first + 1), 0.0f);
        f.weights.back() = static_cast<float>(w);
      }
    }
    if (f.first < 0) f.first = 0;  // an empty filter (too few FFT bins): energy 0 -> log(eps)
  }
  return filters;
}

}  // namespace

struct Fbank::Impl {
  FbankOptions o;
  int64_t window_size = 0, window_shift = 0, padded = 0;
  std::vector<float> window;
  std::vector<MelFilter> filters;
  std::unique_ptr<RealFft> fft;
};

Fbank::Fbank(const FbankOptions& options) : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  m.o = options;
  const auto& f = options.frame_opts;
  if (f.samp_freq <= 0) throw std::invalid_argument("fbank: sample frequency must be positive");
  m.window_size = static_cast<int64_t>(f.samp_freq * f.frame_length_ms * 0.001);
  m.window_shift = static_cast<int64_t>(f.samp_freq * f.frame_shift_ms * 0.001);
  if (m.window_size < 2 || m.window_shift < 1) throw std::invalid_argument("fbank: frame length or shift too small");
  m.padded = m.window_size;
  if (f.round_to_power_of_two) {
    m.padded = 1;
    while (m.padded < m.window_size) m.padded <<= 1;
  } else if (m.padded & (m.padded - 1)) {
    throw std::invalid_argument("fbank: round_to_power_of_two=false needs a power-of-two frame length");
  }
  if (m.padded < 4) m.padded = 4;
  m.window = make_window(f.window_type, m.window_size, f.blackman_coeff);
  m.filters = make_mel_filters(options.mel_opts, f.samp_freq, m.padded);
  m.fft = std::make_unique<RealFft>(m.padded);
}

Fbank::~Fbank() = default;
Fbank::Fbank(Fbank&&) noexcept = default;
Fbank& Fbank::operator=(Fbank&&) noexcept = default;

const FbankOptions& Fbank::options() const {
  return impl_->o;
}
int64_t Fbank::window_size() const {
  return impl_->window_size;
}
int64_t Fbank::window_shift() const {
  return impl_->window_shift;
}
int64_t Fbank::num_bins() const {
  return impl_->o.mel_opts.num_bins + (impl_->o.use_energy ? 1 : 0);
}

int64_t Fbank::num_frames(int64_t n) const {
  const auto& m = *impl_;
  if (m.o.frame_opts.snip_edges) return n < m.window_size ? 0 : 1 + (n - m.window_size) / m.window_shift;
  return (n + m.window_shift / 2) / m.window_shift;
}

at::Tensor Fbank::compute(const float* samples, int64_t n, uint64_t seed) const {
  const auto& m = *impl_;
  const auto& f = m.o.frame_opts;
  const int64_t frames = num_frames(n);
  const int64_t bins = num_bins(), mel_bins = m.o.mel_opts.num_bins;
  auto out = at::empty({frames, bins}, at::kFloat);
  if (frames == 0) return out;
  float* dst = out.data_ptr<float>();
  const float eps = FLT_EPSILON;
  const double log_energy_floor = m.o.energy_floor > 0 ? std::log(static_cast<double>(m.o.energy_floor)) : -INFINITY;

  // Sample i of the (possibly reflected, snip_edges=false) signal.
  const int64_t pad_left = f.snip_edges ? 0 : (m.window_size - m.window_shift) / 2;
  auto sample = [&](int64_t i) -> float {
    i -= pad_left;
    if (i < 0) i = -i - 1;          // reflect at the start: x[-1] = x[0], x[-2] = x[1] ...
    if (i >= n) i = 2 * n - 1 - i;  // and at the end
    return samples[std::clamp<int64_t>(i, 0, n - 1)];
  };

  std::mt19937_64 rng(seed);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::vector<float> frame(static_cast<size_t>(m.padded)), power(static_cast<size_t>(m.padded / 2 + 1));
  for (int64_t t = 0; t < frames; ++t) {
    const int64_t start = t * m.window_shift;
    float* x = frame.data();
    if (f.snip_edges)
      std::copy_n(samples + start, m.window_size, x);
    else
      for (int64_t i = 0; i < m.window_size; ++i) x[i] = sample(start + i);
    if (f.dither != 0)
      for (int64_t i = 0; i < m.window_size; ++i) x[i] += f.dither * gauss(rng);
    if (f.remove_dc_offset) {
      double sum = 0;
      for (int64_t i = 0; i < m.window_size; ++i) sum += x[i];
      const float mean = static_cast<float>(sum / static_cast<double>(m.window_size));
      for (int64_t i = 0; i < m.window_size; ++i) x[i] -= mean;
    }
    auto log_energy = [&]() {
      double e = 0;
      for (int64_t i = 0; i < m.window_size; ++i) e += static_cast<double>(x[i]) * x[i];
      return std::max(std::log(std::max(e, static_cast<double>(eps))), log_energy_floor);
    };
    double energy = 0;
    if (m.o.use_energy && m.o.raw_energy) energy = log_energy();
    if (f.preemph_coeff != 0) {
      for (int64_t i = m.window_size - 1; i > 0; --i) x[i] -= f.preemph_coeff * x[i - 1];
      x[0] -= f.preemph_coeff * x[0];
    }
    for (int64_t i = 0; i < m.window_size; ++i) x[i] *= m.window[static_cast<size_t>(i)];
    if (m.o.use_energy && !m.o.raw_energy) energy = log_energy();
    std::fill(x + m.window_size, x + m.padded, 0.0f);
    m.fft->power_spectrum(x, power.data());
    if (!m.o.use_power)
      for (auto& p : power) p = std::sqrt(p);

    float* row = dst + t * bins;
    float* mel = row + (m.o.use_energy && !m.o.htk_compat ? 1 : 0);
    for (int64_t b = 0; b < mel_bins; ++b) {
      const auto& filt = m.filters[static_cast<size_t>(b)];
      const float* p = power.data() + filt.first;
      float acc = 0;
      for (size_t i = 0; i < filt.weights.size(); ++i) acc += filt.weights[i] * p[i];
      mel[b] = m.o.use_log_fbank ? std::log(std::max(acc, eps)) : acc;
    }
    if (m.o.use_energy) row[m.o.htk_compat ? mel_bins : 0] = static_cast<float>(energy);
  }
  if (m.o.subtract_mean) out.sub_(out.mean(0, /*keepdim=*/true));
  return out;
}

}  // namespace unirep::modalities
