#pragma once
// The official point-to-pixel path (docs/points.md; docs/reference.md, Point clouds): a point cloud
// becomes V learned "colour" images that the shared backbone reads. Per-point features from the
// unrotated cloud (1x1 conv, k-nearest-neighbour edge features, conv, GroupNorm, LeakyReLU, max
// over neighbours, 1x1 conv); V views with the official rotations; each view rasterized onto an
// S x S grid with the 3x3 splat and a scatter-sum of the features; the image block; the multi-view
// fusion (7x7 stride-7 conv, one transformer layer over all views' tokens, nearest upsample,
// convs); then 1x1 conv to 3 channels, sigmoid and ImageNet normalization. Sizes are options so it
// also trains on a CPU.
//
// Input: B x N x 6 = the original points (features) and the placed points (rasterization), the
// official code's original_pc and pc. Output: (B V) x 3 x S x S, sample-major (s0v0, s0v1, ...).
#include "models/backbone/gelu.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace unirep::models {

struct PointToPixelOptions {
  TORCH_ARG(int64_t, num_views) = 4;
  TORCH_ARG(int64_t, image_size) = 224;  // S; a multiple of 7 (the fusion's stride-7 patches)
  TORCH_ARG(int64_t, trans_dim) = 8;     // first per-point width
  TORCH_ARG(int64_t, graph_dim) = 64;    // per-point feature width (image channels)
  TORCH_ARG(int64_t, neighbours) = 32;   // k of the kNN edge features
  TORCH_ARG(int64_t, fusion_dim) = 128;  // token width of the multi-view transformer
  TORCH_ARG(int64_t, heads) = 8;
  TORCH_ARG(int64_t, head_dim) = 128;
  TORCH_ARG(int64_t, mlp_dim) = 256;
};

// The official view rotations: view k is Rx(k pi/2) Ry(0) Rz(pi/2) (3 x 3, row-major).
at::Tensor view_rotation(int64_t k);

// Rasterization of one view: `xy` (B x N x 2 projected coordinates, x = row) and per-point
// features (B x N x C) scatter-summed over each point's 3 x 3 neighbourhood into B x C x S x S,
// with the official grid (max range / (S - 3)) and centring. Exposed for tests.
at::Tensor rasterize_view(const at::Tensor& xy, const at::Tensor& features, int64_t image_size);

class PointToPixelImpl : public torch::nn::Module {
 public:
  explicit PointToPixelImpl(const PointToPixelOptions& options = {});
  torch::Tensor forward(const torch::Tensor& points);      // B x N x 6 -> (B V) x 3 x S x S
  torch::Tensor point_features(const torch::Tensor& xyz);  // B x N x 3 -> B x N x graph_dim

  PointToPixelOptions options;
  torch::nn::Linear input_embed{nullptr};   // Conv1d 1x1 3 -> trans_dim
  torch::nn::Linear edge_conv{nullptr};     // Conv2d 1x1 2 trans_dim -> graph_dim, no bias
  torch::nn::GroupNorm edge_norm{nullptr};  // 4 groups
  torch::nn::Linear point_out{nullptr};     // Conv1d 1x1 graph_dim -> graph_dim
  torch::nn::Conv2d block_conv1{nullptr}, block_conv2{nullptr}, block_out{nullptr};
  torch::nn::BatchNorm2d block_bn1{nullptr}, block_bn2{nullptr};
  torch::nn::Conv2d fusion_patch{nullptr};  // 7 x 7 stride 7, no bias
  torch::nn::LayerNorm attn_norm{nullptr}, mlp_norm{nullptr};
  torch::nn::Linear qkv{nullptr}, attn_out{nullptr}, mlp_in{nullptr}, mlp_out{nullptr};
  torch::nn::Conv2d fusion_up{nullptr}, fusion_merge{nullptr}, to_rgb{nullptr};
  // The GELUs after fusion_up and fusion_merge run on full-size maps: modules, so that the fast
  // training path's GELU takes them over (no parameters: state dicts are unaffected).
  Gelu fusion_up_gelu{nullptr}, fusion_merge_gelu{nullptr};
};
TORCH_MODULE(PointToPixel);

}  // namespace unirep::models
