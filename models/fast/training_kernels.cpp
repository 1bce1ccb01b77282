#include "models/fast/training_kernels.h"

#include "models/fast/gelu_math.h"
#include "models/fast/precision.h"
#include "models/fast/row_kernels.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace unirep::models {
namespace {

// One tap's contribution from one output row, for `Width` channels from c0: the products summed
// over the row in registers, then added to the tap's accumulator once.
template <int Width>
inline void tap_row(const float* __restrict dy, const float* __restrict in, int64_t x0, int64_t x1, int64_t channels,
                    float* __restrict acc) {
  float sum[Width] = {};
  for (int64_t x = x0; x < x1; ++x) {
    const float* g = dy + x * channels;
    const float* v = in + x * channels;
    for (int b = 0; b < Width; ++b) sum[b] += g[b] * v[b];
  }
  for (int b = 0; b < Width; ++b) acc[b] += sum[b];
}

// Every tap's contribution from output row y of one image into `acc` (kernel x kernel x channels),
// and the row's sum into `bias_acc` when set.
UNIREP_CLONES void weight_grad_row(const float* __restrict in, const float* __restrict dy_row, int64_t y,
                                   int64_t height, int64_t width, int64_t channels, int64_t kernel, int64_t dilation,
                                   float* __restrict acc, float* __restrict bias_acc) {
  const int64_t pad = dilation * (kernel - 1) / 2;
  for (int64_t i = 0; i < kernel; ++i) {
    const int64_t iy = y + i * dilation - pad;
    if (iy < 0 || iy >= height) continue;
    const float* in_row = in + iy * width * channels;
    for (int64_t j = 0; j < kernel; ++j) {
      const int64_t off = j * dilation - pad;
      const int64_t x0 = std::max<int64_t>(0, -off), x1 = std::min<int64_t>(width, width - off);
      if (x0 >= x1) continue;
      const float* shifted = in_row + off * channels;
      float* a = acc + (i * kernel + j) * channels;
      int64_t c = 0;
      for (; c + 16 <= channels; c += 16) tap_row<16>(dy_row + c, shifted + c, x0, x1, channels, a + c);
      for (; c + 8 <= channels; c += 8) tap_row<8>(dy_row + c, shifted + c, x0, x1, channels, a + c);
      for (; c < channels; ++c) tap_row<1>(dy_row + c, shifted + c, x0, x1, channels, a + c);
    }
  }
  if (bias_acc == nullptr) return;
  for (int64_t x = 0; x < width; ++x)
    for (int64_t c = 0; c < channels; ++c) bias_acc[c] += dy_row[x * channels + c];
}

// acc[c] += sum over rows of a[r, c] * b[r, c]; sums[c] += sum over rows of a[r, c]: one pass over a.
UNIREP_CLONES void rows_dot_and_sum(const float* __restrict a, const float* __restrict b, int64_t rows,
                                    int64_t channels, float* __restrict acc, float* __restrict sums) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* ar = a + r * channels;
    const float* br = b + r * channels;
    for (int64_t c = 0; c < channels; ++c) acc[c] += ar[c] * br[c], sums[c] += ar[c];
  }
}

// out[r, c] = a[r, c] * s[c] + (b ? b[r, c] * t[c] : 0) + shift[c]   (shift may be null).
UNIREP_CLONES void rows_scale_add(const float* __restrict a, const float* __restrict s, const float* __restrict b,
                                  const float* __restrict t, const float* __restrict shift, int64_t rows,
                                  int64_t channels, float* __restrict out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* ar = a + r * channels;
    float* o = out + r * channels;
    if (b != nullptr) {
      const float* br = b + r * channels;
      for (int64_t c = 0; c < channels; ++c) o[c] = ar[c] * s[c] + br[c] * t[c];
    } else {
      for (int64_t c = 0; c < channels; ++c) o[c] = ar[c] * s[c];
    }
    if (shift != nullptr)
      for (int64_t c = 0; c < channels; ++c) o[c] += shift[c];
  }
}

// Rows per parallel chunk: enough work per chunk to be worth a thread.
constexpr int64_t kChunkValues = 1 << 15;

int64_t chunk_rows(int64_t channels) {
  return std::max<int64_t>(1, kChunkValues / std::max<int64_t>(1, channels));
}

// Per-image reductions over the pixels with `reduce(first_row, rows, acc)` adding into `width`
// accumulators (a multiple of channels); `out` (images x width) receives the sums. Threads take
// chunks of pixels and sum into their own rows, added in thread order, so results do not depend on
// timing.
template <class Reduce>
void per_image_sums(int64_t images, int64_t pixels, int64_t channels, int64_t width, float* out, Reduce&& reduce) {
  const int64_t step = chunk_rows(channels), chunks = (pixels + step - 1) / step;
  const int threads = std::max(1, std::min<int>(omp_get_max_threads(), static_cast<int>(chunks)));
  std::vector<float> partial(static_cast<size_t>(threads * width));
  for (int64_t n = 0; n < images; ++n) {
    std::fill(partial.begin(), partial.end(), 0.0f);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t k = 0; k < chunks; ++k) {
      const int64_t first = k * step, rows = std::min(step, pixels - first);
      reduce(n * pixels + first, rows, partial.data() + omp_get_thread_num() * width);
    }
    float* o = out + n * width;
    std::fill(o, o + width, 0.0f);
    for (int t = 0; t < threads; ++t)
      for (int64_t c = 0; c < width; ++c) o[c] += partial[t * width + c];
  }
}

// f(first_row, rows) over all images x pixels rows in parallel chunks.
template <class F>
void for_row_chunks(int64_t rows, int64_t channels, F&& f) {
  const int64_t step = chunk_rows(channels), chunks = (rows + step - 1) / step;
  const int threads = std::max(1, std::min<int>(omp_get_max_threads(), static_cast<int>(chunks)));
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (int64_t k = 0; k < chunks; ++k) f(k * step, std::min(step, rows - k * step));
}

constexpr float kGrnEps = 1e-6f;

// grad_x for `rows` rows; the rows' weight and bias gradient terms added into gw, gb.
UNIREP_CLONES void layer_norm_grad_rows(const float* __restrict x, const float* __restrict dy, int64_t rows,
                                        int64_t channels, const float* __restrict weight, const float* __restrict mean,
                                        const float* __restrict rstd, float* __restrict dx, float* __restrict gw,
                                        float* __restrict gb) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * channels, *gr = dy + r * channels;
    const float m = mean[r], s = rstd[r];
    float g_sum = 0, gx_sum = 0;  // sums of dy * w and of dy * w * xhat over the row
    for (int64_t c = 0; c < channels; ++c) {
      const float xhat = (xr[c] - m) * s, g = gr[c] * weight[c];
      g_sum += g, gx_sum += g * xhat;
      gw[c] += gr[c] * xhat;
      gb[c] += gr[c];
    }
    const float inv = 1.0f / static_cast<float>(channels);
    float* d = dx + r * channels;
    for (int64_t c = 0; c < channels; ++c) {
      const float xhat = (xr[c] - m) * s;
      d[c] = s * (gr[c] * weight[c] - g_sum * inv - xhat * gx_sum * inv);
    }
  }
}

// Rows [first, first + rows) cut where an image ends: f(image, first_row, rows) for each piece.
template <class F>
void split_at_images(int64_t first, int64_t rows, int64_t pixels, F&& f) {
  while (rows > 0) {
    const int64_t n = first / pixels, take = std::min(rows, (n + 1) * pixels - first);
    f(n, first, take);
    first += take;
    rows -= take;
  }
}

// f(image, first_row, rows) over all images x pixels rows, in parallel chunks cut at images.
template <class F>
void for_image_rows(int64_t images, int64_t pixels, int64_t channels, F&& f) {
  for_row_chunks(images * pixels, channels,
                 [&](int64_t first, int64_t rows) { split_at_images(first, rows, pixels, f); });
}

// From the per-image sums of squares in g (images x channels): g becomes the norms, nx the
// normalized norms; returns each image's per-channel factor gamma * nx + 1.
std::vector<float> grn_norms_and_scales(int64_t images, int64_t channels, const float* gamma, float* g, float* nx) {
  std::vector<float> scale(static_cast<size_t>(images * channels));
  for (int64_t n = 0; n < images; ++n) {
    float* gn = g + n * channels;
    double mean = 0;
    for (int64_t c = 0; c < channels; ++c) mean += gn[c] = std::sqrt(gn[c]);
    const float denominator = static_cast<float>(mean / channels) + kGrnEps;
    for (int64_t c = 0; c < channels; ++c) {
      nx[n * channels + c] = gn[c] / denominator;
      scale[n * channels + c] = gamma[c] * nx[n * channels + c] + 1.0f;
    }
  }
  return scale;
}

// The GRN's input gradient is grad_out * scale + x * coef, per image and channel.
struct GrnGradFactors {
  std::vector<float> scale, coef;
};

// One pass for the per-image sums, then the factors; grad_gamma and grad_beta are written on the
// way. `dot_and_sum(first_row, rows, acc)` adds, over its rows, grad_out * x into acc[c] and
// grad_out into acc[C + c] (the beta gradient's share).
template <class DotAndSum>
GrnGradFactors grn_grad_factors(DotAndSum&& dot_and_sum, int64_t images, int64_t pixels, int64_t channels,
                                const float* gamma, const float* g, const float* nx, float* grad_gamma,
                                float* grad_beta) {
  std::vector<float> sums(static_cast<size_t>(images * 2 * channels));
  per_image_sums(images, pixels, channels, 2 * channels, sums.data(), dot_and_sum);
  std::fill(grad_gamma, grad_gamma + channels, 0.0f);
  std::fill(grad_beta, grad_beta + channels, 0.0f);
  GrnGradFactors f{std::vector<float>(static_cast<size_t>(images * channels)),
                   std::vector<float>(static_cast<size_t>(images * channels))};
  for (int64_t n = 0; n < images; ++n) {
    const float *gn = g + n * channels, *nxn = nx + n * channels, *sn = sums.data() + n * 2 * channels;
    const float* out_sums = sn + channels;
    double mean = 0, dot = 0;  // dot = sum_c d(nx)[c] * g[c]
    for (int64_t c = 0; c < channels; ++c) mean += gn[c], dot += static_cast<double>(gamma[c] * sn[c]) * gn[c];
    const double m = mean / channels + kGrnEps;
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t i = n * channels + c;
      grad_gamma[c] += nxn[c] * sn[c];
      grad_beta[c] += out_sums[c];
      f.scale[i] = gamma[c] * nxn[c] + 1.0f;
      const double dg = gamma[c] * sn[c] / m - dot / (m * m * channels);
      f.coef[i] = gn[c] > 0.0f ? static_cast<float>(dg / gn[c]) : 0.0f;
    }
  }
  return f;
}

// acc[c] += gelu(h)^2 over the rows.
UNIREP_CLONES void rows_gelu_squares(const float* __restrict h, int64_t rows, int64_t channels, float* __restrict acc) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* hr = h + r * channels;
#pragma omp simd
    for (int64_t c = 0; c < channels; ++c) {
      float cdf, density;
      normal_cdf_and_density(hr[c], cdf, density);
      const float a = hr[c] * cdf;
      acc[c] += a * a;
    }
  }
}

// Stores v at out[i]: as float32, or rounded to bfloat16.
inline void store(float* out, int64_t i, float v) {
  out[i] = v;
}
inline void store(uint16_t* out, int64_t i, float v) {
  out[i] = float_to_bf16(v);
}

// out[r, c] = gelu(h[r, c]) * s[c] + shift[c]; Out is float (float32) or uint16_t (bfloat16).
template <class Out>
UNIREP_CLONES void rows_gelu_scale_shift(const float* __restrict h, const float* __restrict s,
                                         const float* __restrict shift, int64_t rows, int64_t channels,
                                         Out* __restrict out) {
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t o = r * channels;
#pragma omp simd
    for (int64_t c = 0; c < channels; ++c) {
      float cdf, density;
      normal_cdf_and_density(h[o + c], cdf, density);
      store(out, o + c, h[o + c] * cdf * s[c] + shift[c]);
    }
  }
}

// acc[c] += grad_out * gelu(h), acc[C + c] += grad_out over the rows.
UNIREP_CLONES void rows_dot_gelu_and_sum(const float* __restrict grad_out, const float* __restrict h, int64_t rows,
                                         int64_t channels, float* __restrict acc) {
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t o = r * channels;
#pragma omp simd
    for (int64_t c = 0; c < channels; ++c) {
      float cdf, density;
      normal_cdf_and_density(h[o + c], cdf, density);
      acc[c] += grad_out[o + c] * (h[o + c] * cdf);
      acc[channels + c] += grad_out[o + c];
    }
  }
}

// grad_h = (grad_out * scale + gelu(h) * coef) * gelu'(h), stored as Out (float or uint16_t:
// bfloat16); bias_acc[c] += grad_h (before rounding).
template <class Out>
UNIREP_CLONES void rows_gelu_grn_grad(const float* __restrict grad_out, const float* __restrict h,
                                      const float* __restrict scale, const float* __restrict coef, int64_t rows,
                                      int64_t channels, Out* __restrict grad_h, float* __restrict bias_acc) {
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t o = r * channels;
#pragma omp simd
    for (int64_t c = 0; c < channels; ++c) {
      float cdf, density;
      normal_cdf_and_density(h[o + c], cdf, density);
      const float d = (grad_out[o + c] * scale[c] + h[o + c] * cdf * coef[c]) * (cdf + h[o + c] * density);
      store(grad_h, o + c, d);
      bias_acc[c] += d;
    }
  }
}

// out = gelu(x) over n values.
UNIREP_CLONES void values_gelu(const float* __restrict x, float* __restrict out, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    float cdf, density;
    normal_cdf_and_density(x[i], cdf, density);
    out[i] = x[i] * cdf;
  }
}

// grad_x = grad_out * gelu'(x) over n values.
UNIREP_CLONES void values_gelu_grad(const float* __restrict x, const float* __restrict grad_out,
                                    float* __restrict grad_x, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    float cdf, density;
    normal_cdf_and_density(x[i], cdf, density);
    grad_x[i] = grad_out[i] * (cdf + x[i] * density);
  }
}

// acc[c] += (x - mean[c])^2 over the rows.
UNIREP_CLONES void rows_accumulate_centred_squares(const float* __restrict x, const float* __restrict mean,
                                                   int64_t rows, int64_t channels, float* __restrict acc) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * channels;
    for (int64_t c = 0; c < channels; ++c) {
      const float d = xr[c] - mean[c];
      acc[c] += d * d;
    }
  }
}

// out[r, c] += x[r, c] * s[c].
UNIREP_CLONES void rows_add_scaled(const float* __restrict x, const float* __restrict s, int64_t rows, int64_t channels,
                                   float* __restrict out) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < channels; ++c) out[r * channels + c] += x[r * channels + c] * s[c];
}

}  // namespace

void layer_norm_forward(const float* x, float* out, int64_t rows, int64_t channels, const float* weight,
                        const float* bias, float eps, float* mean, float* rstd) {
  for_row_chunks(rows, channels, [&](int64_t first, int64_t count) {
    rows_layer_norm(x + first * channels, out + first * channels, count, channels, weight, bias, eps, mean + first,
                    rstd + first);
  });
}

void layer_norm_backward(const float* x, const float* grad_out, int64_t rows, int64_t channels, const float* weight,
                         const float* mean, const float* rstd, float* grad_x, float* grad_weight, float* grad_bias) {
  // The weight and bias gradients: per-thread rows of accumulators over static chunks, added in
  // thread order (the same sums whatever the timing).
  const int64_t step = chunk_rows(channels), chunks = (rows + step - 1) / step;
  const int threads = std::max(1, std::min<int>(omp_get_max_threads(), static_cast<int>(chunks)));
  std::vector<float> partial(static_cast<size_t>(threads * 2 * channels), 0.0f);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (int64_t k = 0; k < chunks; ++k) {
    const int64_t first = k * step, count = std::min(step, rows - first);
    float* acc = partial.data() + omp_get_thread_num() * 2 * channels;
    layer_norm_grad_rows(x + first * channels, grad_out + first * channels, count, channels, weight, mean + first,
                         rstd + first, grad_x + first * channels, acc, acc + channels);
  }
  std::fill(grad_weight, grad_weight + channels, 0.0f);
  std::fill(grad_bias, grad_bias + channels, 0.0f);
  for (int t = 0; t < threads; ++t)
    for (int64_t c = 0; c < channels; ++c) {
      grad_weight[c] += partial[(t * 2) * channels + c];
      grad_bias[c] += partial[(t * 2 + 1) * channels + c];
    }
}

void grn_forward(const float* x, float* out, int64_t images, int64_t pixels, int64_t channels, const float* gamma,
                 const float* beta, float* g, float* nx) {
  per_image_sums(images, pixels, channels, channels, g, [&](int64_t first, int64_t rows, float* acc) {
    rows_accumulate_squares(x + first * channels, rows, channels, acc);
  });
  const auto scale = grn_norms_and_scales(images, channels, gamma, g, nx);
  for_image_rows(images, pixels, channels, [&](int64_t n, int64_t first, int64_t rows) {
    rows_scale_add(x + first * channels, scale.data() + n * channels, nullptr, nullptr, beta, rows, channels,
                   out + first * channels);
  });
}

void grn_backward(const float* x, const float* grad_out, int64_t images, int64_t pixels, int64_t channels,
                  const float* gamma, const float* g, const float* nx, float* grad_x, float* grad_gamma,
                  float* grad_beta) {
  auto dot_and_sum = [&](int64_t first, int64_t rows, float* acc) {
    rows_dot_and_sum(grad_out + first * channels, x + first * channels, rows, channels, acc, acc + channels);
  };
  const auto f = grn_grad_factors(dot_and_sum, images, pixels, channels, gamma, g, nx, grad_gamma, grad_beta);
  for_image_rows(images, pixels, channels, [&](int64_t n, int64_t first, int64_t rows) {
    rows_scale_add(grad_out + first * channels, f.scale.data() + n * channels, x + first * channels,
                   f.coef.data() + n * channels, nullptr, rows, channels, grad_x + first * channels);
  });
}

void gelu_forward(const float* x, float* out, int64_t n) {
  for_row_chunks(n, 1, [&](int64_t first, int64_t count) { values_gelu(x + first, out + first, count); });
}

void gelu_backward(const float* x, const float* grad_out, float* grad_x, int64_t n) {
  for_row_chunks(n, 1, [&](int64_t first, int64_t count) {
    values_gelu_grad(x + first, grad_out + first, grad_x + first, count);
  });
}

void gelu_grn_forward(const float* h, float* out, uint16_t* out_bf16, int64_t images, int64_t pixels, int64_t channels,
                      const float* gamma, const float* beta, float* g, float* nx) {
  per_image_sums(images, pixels, channels, channels, g, [&](int64_t first, int64_t rows, float* acc) {
    rows_gelu_squares(h + first * channels, rows, channels, acc);
  });
  const auto scale = grn_norms_and_scales(images, channels, gamma, g, nx);
  for_image_rows(images, pixels, channels, [&](int64_t n, int64_t first, int64_t rows) {
    const int64_t o = first * channels;
    const float* sn = scale.data() + n * channels;
    if (out != nullptr) {
      rows_gelu_scale_shift(h + o, sn, beta, rows, channels, out + o);
    } else {
      rows_gelu_scale_shift(h + o, sn, beta, rows, channels, out_bf16 + o);
    }
  });
}

void gelu_grn_backward(const float* h, const float* grad_out, int64_t images, int64_t pixels, int64_t channels,
                       const float* gamma, const float* g, const float* nx, float* grad_h, uint16_t* grad_h_bf16,
                       float* grad_bias, float* grad_gamma, float* grad_beta) {
  auto dot_and_sum = [&](int64_t first, int64_t rows, float* acc) {
    rows_dot_gelu_and_sum(grad_out + first * channels, h + first * channels, rows, channels, acc);
  };
  const auto f = grn_grad_factors(dot_and_sum, images, pixels, channels, gamma, g, nx, grad_gamma, grad_beta);
  // grad_h's column sums come with the pass that writes grad_h: all rows as one "image" of
  // per_image_sums (per-thread accumulators, added in thread order), each chunk cut at images for
  // the per-image factors.
  per_image_sums(1, images * pixels, channels, channels, grad_bias, [&](int64_t first, int64_t rows, float* acc) {
    split_at_images(first, rows, pixels, [&](int64_t n, int64_t start, int64_t count) {
      const int64_t o = start * channels;
      const float *sn = f.scale.data() + n * channels, *cn = f.coef.data() + n * channels;
      if (grad_h != nullptr) {
        rows_gelu_grn_grad(grad_out + o, h + o, sn, cn, count, channels, grad_h + o, acc);
      } else {
        rows_gelu_grn_grad(grad_out + o, h + o, sn, cn, count, channels, grad_h_bf16 + o, acc);
      }
    });
  });
}

void channel_mean_var(const float* x, int64_t rows, int64_t channels, float* mean, float* var) {
  per_image_sums(1, rows, channels, channels, mean, [&](int64_t first, int64_t count, float* acc) {
    rows_accumulate(x + first * channels, count, channels, acc);
  });
  const float inv = 1.0f / static_cast<float>(std::max<int64_t>(1, rows));
  for (int64_t c = 0; c < channels; ++c) mean[c] *= inv;
  per_image_sums(1, rows, channels, channels, var, [&](int64_t first, int64_t count, float* acc) {
    rows_accumulate_centred_squares(x + first * channels, mean, count, channels, acc);
  });
  for (int64_t c = 0; c < channels; ++c) var[c] *= inv;
}

void scaled_sum(const float* const* xs, const float* scales, int64_t count, const float* shift, int64_t rows,
                int64_t channels, float* out) {
  // Chunk by chunk, so the output rows stay in cache while every branch is added.
  for_row_chunks(rows, channels, [&](int64_t first, int64_t n) {
    const int64_t o = first * channels;
    rows_scale_add(xs[0] + o, scales, nullptr, nullptr, shift, n, channels, out + o);
    for (int64_t k = 1; k < count; ++k) rows_add_scaled(xs[k] + o, scales + k * channels, n, channels, out + o);
  });
}

void channel_dot_and_sum(const float* a, const float* b, int64_t rows, int64_t channels, float* dots, float* sums) {
  std::vector<float> both(static_cast<size_t>(2 * channels));
  per_image_sums(1, rows, channels, 2 * channels, both.data(), [&](int64_t first, int64_t count, float* acc) {
    rows_dot_and_sum(a + first * channels, b + first * channels, count, channels, acc, acc + channels);
  });
  std::copy(both.begin(), both.begin() + channels, dots);
  if (sums != nullptr) std::copy(both.begin() + channels, both.end(), sums);
}

void scale_add(const float* a, const float* s, const float* b, const float* t, const float* shift, int64_t rows,
               int64_t channels, float* out) {
  for_row_chunks(rows, channels, [&](int64_t first, int64_t n) {
    const int64_t o = first * channels;
    rows_scale_add(a + o, s, b != nullptr ? b + o : nullptr, t, shift, n, channels, out + o);
  });
}

void depthwise_weight_grad(const float* in, const float* grad_out, int64_t images, int64_t height, int64_t width,
                           int64_t channels, int64_t kernel, int64_t dilation, float* grad_weight, float* grad_bias) {
  const int64_t rows = images * height, taps = kernel * kernel * channels;
  const int64_t per_thread = taps + channels;  // weight accumulators, then bias accumulators
  const int threads = std::max(1, std::min<int>(omp_get_max_threads(), static_cast<int>(rows)));
  std::vector<float> partial(static_cast<size_t>(threads * per_thread), 0.0f);
#pragma omp parallel num_threads(threads)
  {
    float* acc = partial.data() + omp_get_thread_num() * per_thread;
    float* bias_acc = grad_bias != nullptr ? acc + taps : nullptr;
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t n = r / height, y = r % height;
      const float* image = in + n * height * width * channels;
      weight_grad_row(image, grad_out + r * width * channels, y, height, width, channels, kernel, dilation, acc,
                      bias_acc);
    }
  }
  std::fill(grad_weight, grad_weight + taps, 0.0f);
  if (grad_bias != nullptr) std::fill(grad_bias, grad_bias + channels, 0.0f);
  for (int t = 0; t < threads; ++t) {
    const float* acc = partial.data() + t * per_thread;
    for (int64_t k = 0; k < taps; ++k) grad_weight[k] += acc[k];
    if (grad_bias != nullptr)
      for (int64_t c = 0; c < channels; ++c) grad_bias[c] += acc[taps + c];
  }
}

}  // namespace unirep::models
