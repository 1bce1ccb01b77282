#include "modalities/video/frame_sampling.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace unirep::modalities {
namespace {

// numpy.linspace(start, stop, num) (endpoint included, the last value exactly `stop`).
std::vector<double> linspace(double start, double stop, int64_t num) {
  std::vector<double> v;
  if (num <= 0) return v;
  if (num == 1) return {start};
  const double step = (stop - start) / static_cast<double>(num - 1);
  for (int64_t i = 0; i < num; ++i) v.push_back(start + static_cast<double>(i) * step);
  v.back() = stop;
  return v;
}

std::vector<int64_t> window_indices(int64_t n, int64_t end, const ClipSampling& s) {
  const int64_t window = s.clip_len * s.sampling_rate;
  std::vector<int64_t> out;
  if (n <= window) {
    auto idx = linspace(0, static_cast<double>(n), n / s.sampling_rate);
    idx.resize(static_cast<size_t>(s.clip_len), static_cast<double>(n));  // padded with n (clipped below)
    for (double v : idx) out.push_back(static_cast<int64_t>(std::clamp(v, 0.0, static_cast<double>(n - 1))));
    return out;
  }
  const int64_t start = end - window;
  for (double v : linspace(static_cast<double>(start), static_cast<double>(end), s.clip_len))
    out.push_back(static_cast<int64_t>(std::clamp(v, static_cast<double>(start), static_cast<double>(end - 1))));
  return out;
}

void check(int64_t n, const ClipSampling& s) {
  if (n <= 0) throw std::invalid_argument("a video with " + std::to_string(n) + " frames");
  if (s.clip_len <= 0 || s.sampling_rate <= 0 || s.temporal_views <= 0 || s.spatial_views <= 0)
    throw std::invalid_argument("invalid clip sampling settings");
}

}  // namespace

std::vector<int64_t> validation_indices(int64_t n, const ClipSampling& s) {
  check(n, s);
  return window_indices(n, (s.clip_len * s.sampling_rate + n) / 2, s);
}

std::vector<int64_t> training_indices(int64_t n, const ClipSampling& s, std::mt19937_64& rng) {
  check(n, s);
  const int64_t window = s.clip_len * s.sampling_rate;
  if (n <= window) return window_indices(n, 0, s);
  return window_indices(n, std::uniform_int_distribution<int64_t>(window, n - 1)(rng), s);
}

std::vector<int64_t> test_indices(int64_t n, const ClipSampling& s) {
  check(n, s);
  std::vector<int64_t> out;
  for (int64_t i = 0; i < n; i += s.sampling_rate) out.push_back(i);
  while (static_cast<int64_t>(out.size()) < s.clip_len) out.push_back(out.back());
  return out;
}

int64_t temporal_view_start(int64_t sampled, int64_t c, const ClipSampling& s) {
  if (s.temporal_views <= 1) return 0;
  const double step =
      std::max(static_cast<double>(sampled - s.clip_len) / static_cast<double>(s.temporal_views - 1), 0.0);
  return static_cast<int64_t>(static_cast<double>(c) * step);
}

int64_t spatial_view_start(int64_t long_side, int64_t short_side, int64_t k, const ClipSampling& s) {
  if (s.spatial_views <= 1) return 0;
  const double step = static_cast<double>(long_side - short_side) / static_cast<double>(s.spatial_views - 1);
  return static_cast<int64_t>(static_cast<double>(k) * step);
}

}  // namespace unirep::modalities
