#include "modalities/points/farthest_point_sampling.h"

#include <algorithm>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <limits>

namespace unirep::modalities {
namespace {

// One FPS step over n points: lower each running distance by the squared distance to
// (qx, qy, qz) and return the largest running distance. Same operations in every version (no
// fused multiply-add), so all give the same floats as the plain loop.
float update_distances_scalar(const float* x, const float* y, const float* z, float* dist, size_t n, float qx, float qy,
                              float qz) {
  float best = -1.0f;
  for (size_t j = 0; j < n; ++j) {
    const float dx = x[j] - qx, dy = y[j] - qy, dz = z[j] - qz;
    const float d = dx * dx + dy * dy + dz * dz;
    const float m = d < dist[j] ? d : dist[j];
    dist[j] = m;
    best = m > best ? m : best;
  }
  return best;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) float update_distances_avx2(const float* x, const float* y, const float* z, float* dist,
                                                            size_t n, float qx, float qy, float qz) {
  const __m256 vx = _mm256_set1_ps(qx), vy = _mm256_set1_ps(qy), vz = _mm256_set1_ps(qz);
  __m256 vbest = _mm256_set1_ps(-1.0f);
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 dx = _mm256_sub_ps(_mm256_loadu_ps(x + j), vx);
    const __m256 dy = _mm256_sub_ps(_mm256_loadu_ps(y + j), vy);
    const __m256 dz = _mm256_sub_ps(_mm256_loadu_ps(z + j), vz);
    const __m256 d = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(dx, dx), _mm256_mul_ps(dy, dy)), _mm256_mul_ps(dz, dz));
    const __m256 m = _mm256_min_ps(d, _mm256_loadu_ps(dist + j));  // d < dist ? d : dist
    _mm256_storeu_ps(dist + j, m);
    vbest = _mm256_max_ps(m, vbest);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, vbest);
  float best = lanes[0];
  for (int i = 1; i < 8; ++i) best = lanes[i] > best ? lanes[i] : best;
  const float tail = update_distances_scalar(x + j, y + j, z + j, dist + j, n - j, qx, qy, qz);
  return tail > best ? tail : best;
}
#endif

using UpdateFn = float (*)(const float*, const float*, const float*, float*, size_t, float, float, float);

UpdateFn pick_update() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2")) return update_distances_avx2;
#endif
  return update_distances_scalar;
}

}  // namespace

std::vector<uint32_t> farthest_point_sampling(const std::vector<std::array<float, 3>>& xyz, size_t m) {
  const size_t n = xyz.size();
  std::vector<uint32_t> out;
  if (n == 0 || m == 0) return out;
  if (m >= n) {
    out.resize(n);
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint32_t>(i);
    return out;
  }
  std::vector<float> x(n), y(n), z(n), dist(n, std::numeric_limits<float>::infinity());
  for (size_t i = 0; i < n; ++i) x[i] = xyz[i][0], y[i] = xyz[i][1], z[i] = xyz[i][2];
  out.reserve(m);
  uint32_t last = 0;
  out.push_back(last);
  // Blocks small enough that finding the winner's index afterwards costs little: each step
  // updates every block at vector speed, remembers the first block holding the largest distance,
  // and scans only that block for the first index holding it.
  constexpr size_t kBlock = 512;
  static const UpdateFn update = pick_update();
  for (size_t k = 1; k < m; ++k) {
    const float qx = x[last], qy = y[last], qz = z[last];
    float best = -1.0f;
    size_t best_block = 0;
    for (size_t b = 0; b < n; b += kBlock) {
      const size_t len = std::min(kBlock, n - b);
      const float block_best = update(x.data() + b, y.data() + b, z.data() + b, dist.data() + b, len, qx, qy, qz);
      if (block_best > best) best = block_best, best_block = b;
    }
    size_t j = best_block;
    while (dist[j] != best) ++j;
    last = static_cast<uint32_t>(j);
    out.push_back(last);
  }
  return out;
}

std::vector<uint32_t> farthest_point_sampling_reference(const std::vector<std::array<float, 3>>& xyz, size_t m) {
  const size_t n = xyz.size();
  std::vector<uint32_t> out;
  if (n == 0 || m == 0) return out;
  if (m >= n) {
    for (size_t i = 0; i < n; ++i) out.push_back(static_cast<uint32_t>(i));
    return out;
  }
  std::vector<float> dist(n, std::numeric_limits<float>::infinity());
  size_t last = 0;
  out.push_back(0);
  while (out.size() < m) {
    size_t arg = 0;
    float best = -1;
    for (size_t j = 0; j < n; ++j) {
      const float dx = xyz[j][0] - xyz[last][0], dy = xyz[j][1] - xyz[last][1], dz = xyz[j][2] - xyz[last][2];
      dist[j] = std::min(dist[j], dx * dx + dy * dy + dz * dz);
      if (dist[j] > best) best = dist[j], arg = j;
    }
    last = arg;
    out.push_back(static_cast<uint32_t>(arg));
  }
  return out;
}

}  // namespace unirep::modalities
