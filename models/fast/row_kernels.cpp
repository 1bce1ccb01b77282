#include "models/fast/row_kernels.h"

#include <cmath>

namespace unirep::models {

UNIREP_CLONES void rows_accumulate(const float* __restrict x, int64_t rows, int64_t channels, float* __restrict acc) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * channels;
    for (int64_t c = 0; c < channels; ++c) acc[c] += row[c];
  }
}

UNIREP_CLONES void rows_accumulate_squares(const float* __restrict x, int64_t rows, int64_t channels,
                                           float* __restrict acc) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * channels;
    for (int64_t c = 0; c < channels; ++c) acc[c] += row[c] * row[c];
  }
}

UNIREP_CLONES void rows_layer_norm(const float* in, float* out, int64_t rows, int64_t channels,
                                   const float* __restrict weight, const float* __restrict bias, float eps, float* mean,
                                   float* rstd) {
  const float inv_c = 1.0f / static_cast<float>(channels);
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = in + r * channels;
    float* y = out + r * channels;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t c = 0; c < channels; ++c) sum += x[c];
    const float m = sum * inv_c;
    float sq = 0.0f;
#pragma omp simd reduction(+ : sq)
    for (int64_t c = 0; c < channels; ++c) sq += (x[c] - m) * (x[c] - m);
    const float s = 1.0f / std::sqrt(sq * inv_c + eps);
#pragma omp simd
    for (int64_t c = 0; c < channels; ++c) y[c] = (x[c] - m) * s * weight[c] + bias[c];
    if (mean != nullptr) mean[r] = m;
    if (rstd != nullptr) rstd[r] = s;
  }
}

}  // namespace unirep::models
