#pragma once
// Kernels of the fast training path (docs/performance.md, "Training path") on NHWC buffers: the work
// whose LibTorch implementation dominates a training step. Shapes as in fast_kernels.h:
// `images` x `height` x `width` x `channels`, channels contiguous.
#include <cstdint>

namespace unirep::models {

// The weight and bias gradients of a depthwise convolution, stride 1, "same" size, dilation `d`
// (padding d * (kernel - 1) / 2 on each side, odd kernels):
//   grad_weight[i, j, c] = sum over n, y, x of grad_out[n, y, x, c] * in[n, y + i*d - pad, x + j*d - pad, c]
//   grad_bias[c]         = sum over n, y, x of grad_out[n, y, x, c]   (skipped when grad_bias is null)
// taps in the padding contribute nothing. `grad_weight` is kernel x kernel x channels and is
// overwritten, as is `grad_bias`. Sums run in float per thread, then over threads.
void depthwise_weight_grad(const float* in, const float* grad_out, int64_t images, int64_t height, int64_t width,
                           int64_t channels, int64_t kernel, int64_t dilation, float* grad_weight, float* grad_bias);

// LayerNorm over the channels of every row (the official channels-first LayerNorm on NHWC memory):
// out = (x - mean) * rstd * weight + bias with rstd = 1 / sqrt(biased variance + eps). Writes `out`
// and, for the backward pass, each row's mean and rstd.
void layer_norm_forward(const float* x, float* out, int64_t rows, int64_t channels, const float* weight,
                        const float* bias, float eps, float* mean, float* rstd);

// The gradients of layer_norm_forward from grad_out: grad_x (may not alias x or grad_out), and
// grad_weight, grad_bias (channels each, overwritten).
void layer_norm_backward(const float* x, const float* grad_out, int64_t rows, int64_t channels, const float* weight,
                         const float* mean, const float* rstd, float* grad_x, float* grad_weight, float* grad_bias);

// Global Response Normalization with beta, training form (the official GRN on NHWC):
//   g[n, c] = ||x[n, :, c]||_2 over the pixels,  nx = g / (mean_c g + 1e-6),
//   out = x * (gamma * nx + 1) + beta.
// Writes `out` and, for the backward pass, g and nx (images x channels each).
void grn_forward(const float* x, float* out, int64_t images, int64_t pixels, int64_t channels, const float* gamma,
                 const float* beta, float* g, float* nx);

// The gradients of grn_forward from grad_out: grad_x (may not alias x or grad_out), and grad_gamma,
// grad_beta (channels each, overwritten). A channel whose norm is 0 passes no gradient through its
// norm (as LibTorch's vector norm).
void grn_backward(const float* x, const float* grad_out, int64_t images, int64_t pixels, int64_t channels,
                  const float* gamma, const float* g, const float* nx, float* grad_x, float* grad_gamma,
                  float* grad_beta);

// GELU (erf form) over n values, out = x * cdf(x), and its gradient grad_x = grad_out * (cdf(x) + x
// density(x)); vectorized (gelu_math.h). out and grad_x may not alias the inputs.
void gelu_forward(const float* x, float* out, int64_t n);
void gelu_backward(const float* x, const float* grad_out, float* grad_x, int64_t n);

// GELU (erf form) then GRN with beta, the block's activation pair, in two passes over the hidden
// rows instead of four (docs/performance.md, "Training path"): out = grn_forward(gelu(h)). The
// GELU's output is never stored: each pass recomputes it from h (cheaper than a memory round trip,
// and the backward pass keeps h only). Writes g and nx, and out as float32 (`out`) or, with `out`
// null, as bfloat16 (`out_bf16`: the next GEMM's operand).
void gelu_grn_forward(const float* h, float* out, uint16_t* out_bf16, int64_t images, int64_t pixels, int64_t channels,
                      const float* gamma, const float* beta, float* g, float* nx);

// The gradients of gelu_grn_forward from grad_out: grad_h as float32 (`grad_h`) or, with `grad_h`
// null, as bfloat16 (`grad_h_bf16`), with grad_h's column sums in float32 (`grad_bias`: the gradient
// of the bias added into h), and grad_gamma, grad_beta; each overwritten.
void gelu_grn_backward(const float* h, const float* grad_out, int64_t images, int64_t pixels, int64_t channels,
                       const float* gamma, const float* g, const float* nx, float* grad_h, uint16_t* grad_h_bf16,
                       float* grad_bias, float* grad_gamma, float* grad_beta);

// Per-channel mean and biased variance of `rows` x `channels` values (two passes: the mean, then the
// centred squares), the batch statistics of a training-mode batch norm on NHWC memory.
void channel_mean_var(const float* x, int64_t rows, int64_t channels, float* mean, float* var);

// out = sum over k < count of xs[k] * scales[k * channels + c], plus shift[c]: batch-normalized
// branches summed in one pass over the output.
void scaled_sum(const float* const* xs, const float* scales, int64_t count, const float* shift, int64_t rows,
                int64_t channels, float* out);

// Per-channel sums over `rows` rows: dots[c] = sum of a * b, sums[c] = sum of a (skipped when sums is null).
void channel_dot_and_sum(const float* a, const float* b, int64_t rows, int64_t channels, float* dots, float* sums);

// out = a * s[c] + b * t[c] + shift[c] per row (b, t, shift each may be null).
void scale_add(const float* a, const float* s, const float* b, const float* t, const float* shift, int64_t rows,
               int64_t channels, float* out);

}  // namespace unirep::models
