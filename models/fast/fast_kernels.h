#pragma once
// The elementwise and reduction work of the fast path (models/fast/fast_unireplknet.cpp), on NHWC buffers: each
// kernel is one pass (or one pass per reduction) over memory where LibTorch's composition makes
// several, and never allocates. Row loops are compiled for AVX-512, AVX2 and baseline x86-64 and
// picked at run time (GCC target_clones); OpenMP splits pixels over LibTorch's thread count.
//
// Shapes: `images` x `pixels` x `channels`, channels contiguous (the NHWC memory of N x C x H x W).
#include <cstdint>

namespace unirep::models {

// LayerNorm over the channels of every pixel (the official channels-first LayerNorm; biased
// variance, eps inside the square root): out = (x - mean) / sqrt(var + eps) * weight + bias.
// `in` and `out` may be the same buffer.
void layer_norm_channels(const float* in, float* out, int64_t rows, int64_t channels, const float* weight,
                         const float* bias, float eps);

// Per-image channel means over the pixels: means[n * channels + c]. Needs `partial` scratch of
// threads x channels floats (see reduction_scratch_floats).
void channel_means(const float* x, int64_t images, int64_t pixels, int64_t channels, float* means, float* partial);

// Squeeze-and-excitation on the depthwise output, in place (the official SEBlock):
// s = sigmoid(up(relu(down(mean(x))))), x *= s. `down` is hidden x channels, `up` channels x hidden,
// both row-major (the 1x1 conv weights). Needs `scratch` of reduction_scratch_floats + images x
// (2 x channels + hidden) floats.
void squeeze_excite(float* x, int64_t images, int64_t pixels, int64_t channels, int64_t hidden, const float* down_w,
                    const float* down_b, const float* up_w, const float* up_b, float* scratch);

// squeeze_excite writing the scaled values as bfloat16 into `out` (same layout) instead of in place:
// the bf16 plan's SE feeds the next GEMM's operand directly (docs/performance.md, "bf16").
void squeeze_excite_to_bf16(const float* x, uint16_t* out, int64_t images, int64_t pixels, int64_t channels,
                            int64_t hidden, const float* down_w, const float* down_b, const float* up_w,
                            const float* up_b, float* scratch);

// Global Response Normalization without beta (the deploy GRN), in place:
// g = ||x[n, :, c]||_2 over the pixels, x *= gamma * g / (mean_c g + 1e-6) + 1.
// Needs `scratch` of reduction_scratch_floats + images x channels floats.
void global_response_norm(float* x, int64_t images, int64_t pixels, int64_t channels, const float* gamma,
                          float* scratch);

// global_response_norm on bfloat16 values (norms and factors in float32), in place.
void global_response_norm_bf16(uint16_t* x, int64_t images, int64_t pixels, int64_t channels, const float* gamma,
                               float* scratch);

// Depthwise convolution, stride 1, "same" size (padding = kernel / 2 on each side), plus bias:
// out[n, y, x, c] = bias[c] + sum of in[n, y + i - pad, x + j - pad, c] * weight[i, j, c] over the
// taps inside the image (taps in the padding are skipped, not multiplied by zero). `weight` is
// kernel x kernel x channels. The fast path's fallback where oneDNN has no direct depthwise kernel
// for the shape on this CPU (oneDNN 2.6 on AVX2 runs 13 x 13 NHWC depthwise convs as im2col + GEMM,
// 20x slower).
void depthwise_conv(const float* in, float* out, int64_t images, int64_t height, int64_t width, int64_t channels,
                    const float* weight, const float* bias, int64_t kernel);

// Floats of scratch the reductions above need for `channels` (one accumulator row per thread).
int64_t reduction_scratch_floats(int64_t channels);

}  // namespace unirep::models
