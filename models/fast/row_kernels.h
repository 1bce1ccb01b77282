#pragma once
// Internal to models/fast: the row loops the inference kernels (fast_kernels.cpp) and the training
// kernels (training_kernels.cpp) share. Each walks `rows` rows of `channels` contiguous floats.
//
// Row loops get one clone per instruction set; the dynamic loader's ifunc resolver picks the best
// the CPU has, once. The loops are written so GCC vectorizes them (channels contiguous, no aliasing
// between rows and accumulators, reductions marked for OpenMP SIMD).
// Sanitized builds get the baseline only: the ifunc resolvers behind target_clones run before the
// sanitizer runtime is initialized, and ThreadSanitizer crashes on them at start-up.
#include <cstdint>

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define UNIREP_CLONES
#else
#define UNIREP_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif

namespace unirep::models {

// acc[c] += sum over rows of x[r, c].
void rows_accumulate(const float* x, int64_t rows, int64_t channels, float* acc);
// acc[c] += sum over rows of x[r, c]^2.
void rows_accumulate_squares(const float* x, int64_t rows, int64_t channels, float* acc);
// LayerNorm of each row: out = (x - mean) * rstd * weight + bias, rstd = 1 / sqrt(biased variance +
// eps); each row's mean and rstd also go to `mean` and `rstd` when they are set (the backward pass
// needs them). `in` and `out` may be the same buffer.
void rows_layer_norm(const float* in, float* out, int64_t rows, int64_t channels, const float* weight,
                     const float* bias, float eps, float* mean = nullptr, float* rstd = nullptr);

}  // namespace unirep::models
