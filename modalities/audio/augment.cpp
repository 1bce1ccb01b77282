#include "modalities/audio/augment.h"
#include "modalities/audio/resample.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace unirep::modalities {
namespace {

double uniform(std::mt19937_64& rng) {
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// torchaudio.functional.mask_along_axis: width = U * max_width, start = U' * (size - width), the
// band [floor(start), floor(start + width)) is filled.
void mask_axis(at::Tensor& input, int64_t axis, int max_width, float fill, std::mt19937_64& rng) {
  if (max_width <= 0) return;
  const int64_t size = input.size(axis);
  const double width = uniform(rng) * max_width;
  const double start = uniform(rng) * (static_cast<double>(size) - width);
  const auto begin = static_cast<int64_t>(std::floor(start));
  const auto end = std::min(size, static_cast<int64_t>(std::floor(start + width)));
  if (end > begin) input.narrow(axis, begin, end - begin).fill_(fill);
}

}  // namespace

void spec_augment(at::Tensor& input, int freq_mask, int time_mask, float fill, std::mt19937_64& rng) {
  TORCH_CHECK(input.dim() == 3, "spec_augment expects 1 x F x T");
  mask_axis(input, 1, freq_mask, fill, rng);
  mask_axis(input, 2, time_mask, fill, rng);
}

void add_noise_and_roll(at::Tensor& input, int max_roll, std::mt19937_64& rng) {
  TORCH_CHECK(input.dim() == 3, "add_noise_and_roll expects 1 x F x T");
  const double r = uniform(rng) / 10.0;
  auto noise = at::empty(input.sizes(), input.options());
  auto* p = noise.data_ptr<float>();
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (int64_t i = 0; i < noise.numel(); ++i) p[i] = u(rng);
  input.add_(noise, r);
  if (max_roll > 0) {
    const int64_t shift = std::uniform_int_distribution<int64_t>(-max_roll, max_roll - 1)(rng);
    input.copy_(at::roll(input, {shift}, {2}));
  }
}

void random_equalization(at::Tensor& input, double max_db, double norm_std, float pad_value, std::mt19937_64& rng) {
  TORCH_CHECK(input.dim() == 3 && input.size(0) == 1 && input.is_contiguous(),
              "random_equalization expects a contiguous 1 x F x T");
  if (max_db <= 0) return;
  const int64_t bins = input.size(1), frames = input.size(2);
  std::uniform_real_distribution<double> w(-1.0, 1.0);
  const double tilt = w(rng), c1 = w(rng), c2 = w(rng), c3 = w(rng);
  std::vector<double> curve(static_cast<size_t>(bins));
  double largest = 0;
  for (int64_t m = 0; m < bins; ++m) {
    const double x = bins > 1 ? static_cast<double>(m) / static_cast<double>(bins - 1) : 0.0;  // 0..1 over the mel axis
    const double pi = 3.14159265358979323846;
    curve[m] = tilt * (2 * x - 1) + c1 * std::cos(pi * x) + c2 * std::cos(2 * pi * x) + c3 * std::cos(3 * pi * x);
    largest = std::max(largest, std::abs(curve[m]));
  }
  // dB of power -> natural log of power (the fbank's unit) -> normalized input units.
  const double db = uniform(rng) * max_db;
  const double scale = largest > 0 ? db / largest * std::log(10.0) / 10.0 / (2.0 * norm_std) : 0.0;
  float* p = input.data_ptr<float>();
  for (int64_t t = 0; t < frames; ++t) {
    bool padding = true;
    for (int64_t m = 0; m < bins && padding; ++m) padding = p[m * frames + t] == pad_value;
    if (padding) continue;
    for (int64_t m = 0; m < bins; ++m) p[m * frames + t] += static_cast<float>(curve[m] * scale);
  }
}

double sample_mixup_lambda(double alpha, std::mt19937_64& rng) {
  std::gamma_distribution<double> g(alpha, 1.0);
  const double x = g(rng), y = g(rng);
  return x + y > 0 ? x / (x + y) : 0.5;
}

std::vector<float> mix_waveforms(const std::vector<float>& a, const std::vector<float>& b, double lambda) {
  std::vector<float> out(a.size());
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double v = lambda * a[i] + (1.0 - lambda) * (i < b.size() ? b[i] : 0.0f);
    out[i] = static_cast<float>(v);
    sum += v;
  }
  const float mean = a.empty() ? 0.0f : static_cast<float>(sum / static_cast<double>(a.size()));
  for (auto& v : out) v -= mean;
  return out;
}

}  // namespace unirep::modalities

namespace unirep::modalities {

std::vector<float> change_speed(const std::vector<float>& samples, int rate, double factor) {
  if (!(factor > 0.25 && factor < 4.0)) throw std::invalid_argument("speed factor must be in (0.25, 4)");
  // Playing f times faster = resampling to rate / f and reading the result at `rate`.
  const int to = std::max(100, static_cast<int>(std::lround(rate / factor / 100.0)) * 100);
  if (to == rate) return samples;
  return resample(samples, rate, to);
}

}  // namespace unirep::modalities
