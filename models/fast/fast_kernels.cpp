#include "models/fast/fast_kernels.h"

#include "models/fast/precision.h"
#include "models/fast/row_kernels.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace unirep::models {
// Row kernels: each walks `rows` rows of `channels` floats (the shared ones are in row_kernels.cpp).

UNIREP_CLONES void rows_scale(float* __restrict x, int64_t rows, int64_t channels, const float* __restrict s) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = x + r * channels;
    for (int64_t c = 0; c < channels; ++c) row[c] *= s[c];
  }
}

// out[r, c] = bf16(x[r, c] * s[c]): the SE's scale, written as the next GEMM's bfloat16 operand.
UNIREP_CLONES void rows_scale_to_bf16(const float* __restrict x, uint16_t* __restrict out, int64_t rows,
                                      int64_t channels, const float* __restrict s) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * channels;
    uint16_t* o = out + r * channels;
    for (int64_t c = 0; c < channels; ++c) o[c] = float_to_bf16(row[c] * s[c]);
  }
}

UNIREP_CLONES void rows_scale_bf16(uint16_t* __restrict x, int64_t rows, int64_t channels, const float* __restrict s) {
  for (int64_t r = 0; r < rows; ++r) {
    uint16_t* row = x + r * channels;
    for (int64_t c = 0; c < channels; ++c) row[c] = float_to_bf16(bf16_to_float(row[c]) * s[c]);
  }
}

UNIREP_CLONES void rows_accumulate_squares_bf16(const uint16_t* __restrict x, int64_t rows, int64_t channels,
                                                float* __restrict acc) {
  for (int64_t r = 0; r < rows; ++r) {
    const uint16_t* row = x + r * channels;
    for (int64_t c = 0; c < channels; ++c) {
      const float v = bf16_to_float(row[c]);
      acc[c] += v * v;
    }
  }
}

// y[o] = b[o] + W[o, :] . x for a row-major `outs` x `ins` matrix (the SE's 1x1 convs on one vector).
UNIREP_CLONES void rows_matvec(const float* __restrict w, const float* __restrict b, const float* __restrict x,
                               int64_t outs, int64_t ins, float* __restrict y) {
  for (int64_t o = 0; o < outs; ++o) {
    const float* wo = w + o * ins;
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < ins; ++i) s += wo[i] * x[i];
    y[o] = s + b[o];
  }
}

// One output row of a depthwise convolution (see depthwise_conv). Channels go in blocks of 32 held
// in a local accumulator the compiler keeps in registers across all taps; the rest one by one.
UNIREP_CLONES void depthwise_row(const float* __restrict in, float* __restrict out, int64_t y, int64_t height,
                                 int64_t width, int64_t channels, const float* __restrict weight,
                                 const float* __restrict bias, int64_t kernel) {
  constexpr int64_t kBlock = 32;
  const int64_t pad = kernel / 2;
  const int64_t i0 = std::max<int64_t>(0, pad - y), i1 = std::min<int64_t>(kernel, height + pad - y);
  for (int64_t x = 0; x < width; ++x) {
    const int64_t j0 = std::max<int64_t>(0, pad - x), j1 = std::min<int64_t>(kernel, width + pad - x);
    float* o = out + x * channels;
    int64_t c0 = 0;
    for (; c0 + kBlock <= channels; c0 += kBlock) {
      float acc[kBlock];
      for (int64_t b = 0; b < kBlock; ++b) acc[b] = bias[c0 + b];
      for (int64_t i = i0; i < i1; ++i) {
        const float* irow = in + ((y + i - pad) * width + (x - pad)) * channels + c0;
        const float* wrow = weight + i * kernel * channels + c0;
        for (int64_t j = j0; j < j1; ++j) {
          const float* ip = irow + j * channels;
          const float* wp = wrow + j * channels;
          for (int64_t b = 0; b < kBlock; ++b) acc[b] += ip[b] * wp[b];
        }
      }
      for (int64_t b = 0; b < kBlock; ++b) o[c0 + b] = acc[b];
    }
    if (c0 == channels) continue;
    for (int64_t c = c0; c < channels; ++c) o[c] = bias[c];
    for (int64_t i = i0; i < i1; ++i)
      for (int64_t j = j0; j < j1; ++j) {
        const float* ip = in + ((y + i - pad) * width + (x + j - pad)) * channels;
        const float* wp = weight + (i * kernel + j) * channels;
        for (int64_t c = c0; c < channels; ++c) o[c] += ip[c] * wp[c];
      }
  }
}

namespace {

// Below this many values a pass stays on the calling thread: a parallel region costs more than it saves.
constexpr int64_t kParallelGrain = 32768;

int threads_for(int64_t values) {
  if (values < kParallelGrain) return 1;
  return std::max(1, std::min<int>(omp_get_max_threads(), static_cast<int>(values / (kParallelGrain / 2))));
}

// Per-image channel sums into sums[n * channels + c]: `accumulate(rows of x, count, channels, acc)`
// adds each row (rows_accumulate) or its squares (rows_accumulate_squares) to acc.
template <class T, class Accumulate>
void channel_sums(const T* x, int64_t images, int64_t pixels, int64_t channels, float* sums, float* partial,
                  Accumulate accumulate) {
  const int threads = threads_for(pixels * channels);
  for (int64_t n = 0; n < images; ++n) {
    const T* image = x + n * pixels * channels;
    float* out = sums + n * channels;
    if (threads == 1) {
      std::fill(out, out + channels, 0.0f);
      accumulate(image, pixels, channels, out);
      continue;
    }
    int used = 1;
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), count = omp_get_num_threads();
      if (t == 0) used = count;
      float* acc = partial + t * channels;
      std::fill(acc, acc + channels, 0.0f);
      const int64_t begin = pixels * t / count, end = pixels * (t + 1) / count;
      accumulate(image + begin * channels, end - begin, channels, acc);
    }
    std::copy(partial, partial + channels, out);
    for (int t = 1; t < used; ++t)
      for (int64_t c = 0; c < channels; ++c) out[c] += partial[t * channels + c];
  }
}

// For each image n, `scale(first row offset, rows, s + n * channels)` over its pixels, split over
// threads: the scale passes (x[n, p, c] *= s[n * channels + c], in place or into another buffer).
template <class Scale>
void scale_channels(int64_t images, int64_t pixels, int64_t channels, const float* s, Scale scale) {
  const int threads = threads_for(pixels * channels);
  for (int64_t n = 0; n < images; ++n) {
    const float* sn = s + n * channels;
    if (threads == 1) {
      scale(n * pixels * channels, pixels, sn);
      continue;
    }
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), count = omp_get_num_threads();
      const int64_t begin = pixels * t / count, end = pixels * (t + 1) / count;
      scale((n * pixels + begin) * channels, end - begin, sn);
    }
  }
}

// The SE's scales (sigmoid(up(relu(down(mean(x)))))) per image into `scales`; `scratch` as squeeze_excite's.
void squeeze_excite_scales(const float* x, int64_t images, int64_t pixels, int64_t channels, int64_t hidden,
                           const float* down_w, const float* down_b, const float* up_w, const float* up_b,
                           float* scratch, float* scales) {
  float* means = scratch + reduction_scratch_floats(channels);
  float* h = means + 2 * images * channels;
  channel_means(x, images, pixels, channels, means, scratch);
  for (int64_t n = 0; n < images; ++n) {
    float* hn = h + n * hidden;
    float* sn = scales + n * channels;
    rows_matvec(down_w, down_b, means + n * channels, hidden, channels, hn);
    for (int64_t i = 0; i < hidden; ++i) hn[i] = std::max(hn[i], 0.0f);
    rows_matvec(up_w, up_b, hn, channels, hidden, sn);
    for (int64_t c = 0; c < channels; ++c) sn[c] = 1.0f / (1.0f + std::exp(-sn[c]));
  }
}

// GRN's per-image factors gamma * g / (mean_c g + 1e-6) + 1 from the sums of squares in `s`, in place.
void grn_factors(float* s, int64_t images, int64_t channels, const float* gamma) {
  for (int64_t n = 0; n < images; ++n) {
    float* sn = s + n * channels;
    float total = 0.0f;
    for (int64_t c = 0; c < channels; ++c) {
      sn[c] = std::sqrt(sn[c]);
      total += sn[c];
    }
    const float inv = 1.0f / (total / static_cast<float>(channels) + 1e-6f);
    for (int64_t c = 0; c < channels; ++c) sn[c] = gamma[c] * sn[c] * inv + 1.0f;
  }
}

}  // namespace

void depthwise_conv(const float* in, float* out, int64_t images, int64_t height, int64_t width, int64_t channels,
                    const float* weight, const float* bias, int64_t kernel) {
  const int64_t rows_count = images * height;
  const int threads = threads_for(rows_count * width * channels * kernel);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (int64_t r = 0; r < rows_count; ++r) {
    const int64_t n = r / height, y = r % height;
    const int64_t image = n * height * width * channels;
    depthwise_row(in + image, out + image + y * width * channels, y, height, width, channels, weight, bias, kernel);
  }
}

int64_t reduction_scratch_floats(int64_t channels) {
  return static_cast<int64_t>(std::max(1, omp_get_max_threads())) * channels;
}

void layer_norm_channels(const float* in, float* out, int64_t rows_count, int64_t channels, const float* weight,
                         const float* bias, float eps) {
  const int threads = threads_for(rows_count * channels);
  if (threads == 1) return rows_layer_norm(in, out, rows_count, channels, weight, bias, eps);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), count = omp_get_num_threads();
    const int64_t begin = rows_count * t / count, end = rows_count * (t + 1) / count;
    rows_layer_norm(in + begin * channels, out + begin * channels, end - begin, channels, weight, bias, eps);
  }
}

void channel_means(const float* x, int64_t images, int64_t pixels, int64_t channels, float* means, float* partial) {
  channel_sums(x, images, pixels, channels, means, partial, rows_accumulate);
  const float inv = 1.0f / static_cast<float>(pixels);
  for (int64_t i = 0; i < images * channels; ++i) means[i] *= inv;
}

void squeeze_excite(float* x, int64_t images, int64_t pixels, int64_t channels, int64_t hidden, const float* down_w,
                    const float* down_b, const float* up_w, const float* up_b, float* scratch) {
  float* scales = scratch + reduction_scratch_floats(channels) + images * channels;
  squeeze_excite_scales(x, images, pixels, channels, hidden, down_w, down_b, up_w, up_b, scratch, scales);
  scale_channels(images, pixels, channels, scales, [x, channels](int64_t offset, int64_t rows, const float* s) {
    rows_scale(x + offset, rows, channels, s);
  });
}

void squeeze_excite_to_bf16(const float* x, uint16_t* out, int64_t images, int64_t pixels, int64_t channels,
                            int64_t hidden, const float* down_w, const float* down_b, const float* up_w,
                            const float* up_b, float* scratch) {
  float* scales = scratch + reduction_scratch_floats(channels) + images * channels;
  squeeze_excite_scales(x, images, pixels, channels, hidden, down_w, down_b, up_w, up_b, scratch, scales);
  scale_channels(images, pixels, channels, scales, [x, out, channels](int64_t offset, int64_t rows, const float* s) {
    rows_scale_to_bf16(x + offset, out + offset, rows, channels, s);
  });
}

void global_response_norm(float* x, int64_t images, int64_t pixels, int64_t channels, const float* gamma,
                          float* scratch) {
  float* s = scratch + reduction_scratch_floats(channels);
  channel_sums(x, images, pixels, channels, s, scratch, rows_accumulate_squares);
  grn_factors(s, images, channels, gamma);
  scale_channels(images, pixels, channels, s, [x, channels](int64_t offset, int64_t rows, const float* f) {
    rows_scale(x + offset, rows, channels, f);
  });
}

void global_response_norm_bf16(uint16_t* x, int64_t images, int64_t pixels, int64_t channels, const float* gamma,
                               float* scratch) {
  float* s = scratch + reduction_scratch_floats(channels);
  channel_sums(x, images, pixels, channels, s, scratch, rows_accumulate_squares_bf16);
  grn_factors(s, images, channels, gamma);
  scale_channels(images, pixels, channels, s, [x, channels](int64_t offset, int64_t rows, const float* f) {
    rows_scale_bf16(x + offset, rows, channels, f);
  });
}

}  // namespace unirep::models
