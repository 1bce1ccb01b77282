#include "models/points/point_to_pixel.h"

#include <ATen/ATen.h>
#include <torch/nn/functional.h>

#include <cmath>
#include <stdexcept>

namespace unirep::models {
namespace F = torch::nn::functional;

at::Tensor view_rotation(int64_t k) {
  const double ax = static_cast<double>(k) * M_PI / 2, az = M_PI / 2;
  auto rx = at::tensor({1.0, 0.0, 0.0, 0.0, std::cos(ax), -std::sin(ax), 0.0, std::sin(ax), std::cos(ax)}, at::kDouble)
                .view({3, 3});
  auto rz = at::tensor({std::cos(az), -std::sin(az), 0.0, std::sin(az), std::cos(az), 0.0, 0.0, 0.0, 1.0}, at::kDouble)
                .view({3, 3});
  return rx.mm(rz).to(at::kFloat);  // Ry(0) is the identity
}

at::Tensor rasterize_view(const at::Tensor& xy, const at::Tensor& features, int64_t S) {
  TORCH_CHECK(xy.dim() == 3 && xy.size(2) == 2 && features.dim() == 3 && features.size(1) == xy.size(1),
              "rasterize_view: bad shapes");
  const int64_t B = xy.size(0), N = xy.size(1), C = features.size(2);
  // grid = max(range_x, range_y) / (S - 3); cell = floor((p - min) / grid) in [0, S - 3].
  auto mins = std::get<0>(xy.min(1, true));
  auto maxs = std::get<0>(xy.max(1, true));
  auto grid = std::get<0>((maxs - mins).max(2, true)) / static_cast<double>(S - 3);
  grid = at::clamp_min(grid, 1e-12);
  auto cell = at::floor((xy - mins) / grid).to(at::kLong).clamp(0, S - 3);  // B x N x 2
  // Each point writes to its 3 x 3 neighbourhood: cell + offset + 1 in [0, S - 1].
  std::vector<at::Tensor> idx;
  for (int64_t di = -1; di <= 1; ++di)
    for (int64_t dj = -1; dj <= 1; ++dj) {
      auto off = at::tensor({di + 1, dj + 1}, at::kLong).view({1, 1, 2});
      idx.push_back(cell + off);
    }
  auto all = at::cat(idx, 1);  // B x 9N x 2
  // Centring per image and axis: c = floor((max + min) / 2) over the splatted indices, shift by S/2 - c - 1.
  auto centre = at::floor_divide(std::get<0>(all.max(1, true)) + std::get<0>(all.min(1, true)), 2);
  all = all + (S / 2 - 1) - centre;
  all = all.clamp(0, S - 1);
  auto flat = all.select(2, 0) * S + all.select(2, 1);  // B x 9N
  auto feats = features.repeat({1, 9, 1});              // B x 9N x C, the same order as `all`
  auto image = at::zeros({B, S * S, C}, features.options());
  image = image.scatter_add(1, flat.unsqueeze(2).expand({B, 9 * N, C}), feats);
  return image.view({B, S, S, C}).permute({0, 3, 1, 2});
}

PointToPixelImpl::PointToPixelImpl(const PointToPixelOptions& o) : options(o) {
  if (o.image_size() < 14 || o.image_size() % 7 != 0)
    throw std::invalid_argument("point-to-pixel image size must be a multiple of 7 (>= 14)");
  if (o.graph_dim() % 4 != 0)
    throw std::invalid_argument("point-to-pixel graph_dim must be a multiple of 4 (GroupNorm groups)");
  if (o.num_views() < 1 || o.neighbours() < 1)
    throw std::invalid_argument("point-to-pixel needs at least one view and one neighbour");
  const int64_t G = o.graph_dim(), D = o.fusion_dim(), inner = o.heads() * o.head_dim();
  input_embed = register_module("input_embed", torch::nn::Linear(3, o.trans_dim()));
  edge_conv =
      register_module("edge_conv", torch::nn::Linear(torch::nn::LinearOptions(2 * o.trans_dim(), G).bias(false)));
  edge_norm = register_module("edge_norm", torch::nn::GroupNorm(4, G));
  point_out = register_module("point_out", torch::nn::Linear(G, G));
  auto conv = [](int64_t in, int64_t out, int64_t k, int64_t stride, bool bias) {
    return torch::nn::Conv2d(
        torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(stride == 1 ? k / 2 : 0).bias(bias));
  };
  block_conv1 = register_module("block_conv1", conv(G, G, 3, 1, false));
  block_bn1 = register_module("block_bn1", torch::nn::BatchNorm2d(G));
  block_conv2 = register_module("block_conv2", conv(G, G, 3, 1, false));
  block_bn2 = register_module("block_bn2", torch::nn::BatchNorm2d(G));
  block_out = register_module("block_out", conv(G, G, 1, 1, true));
  fusion_patch = register_module("fusion_patch", conv(G, D, 7, 7, false));
  attn_norm = register_module("attn_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({D})));
  qkv = register_module("qkv", torch::nn::Linear(torch::nn::LinearOptions(D, 3 * inner).bias(false)));
  attn_out = register_module("attn_out", torch::nn::Linear(inner, D));
  mlp_norm = register_module("mlp_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({D})));
  mlp_in = register_module("mlp_in", torch::nn::Linear(D, o.mlp_dim()));
  mlp_out = register_module("mlp_out", torch::nn::Linear(o.mlp_dim(), D));
  fusion_up = register_module("fusion_up", conv(D, G, 3, 1, true));
  fusion_merge = register_module("fusion_merge", conv(2 * G, G, 1, 1, true));
  to_rgb = register_module("to_rgb", conv(G, 3, 1, 1, true));
  fusion_up_gelu = register_module("fusion_up_gelu", Gelu());
  fusion_merge_gelu = register_module("fusion_merge_gelu", Gelu());
}

torch::Tensor PointToPixelImpl::point_features(const torch::Tensor& xyz) {
  const int64_t B = xyz.size(0), N = xyz.size(1), K = std::min(options.neighbours(), N);
  auto f = input_embed->forward(xyz);  // B x N x T
  // kNN on the original coordinates by squared distance (the point itself is its first neighbour).
  auto d2 = at::cdist(xyz, xyz).pow(2);
  auto knn = std::get<1>(d2.topk(K, 2, /*largest=*/false, /*sorted=*/true));  // B x N x K
  const int64_t T = f.size(2);
  auto gathered = f.gather(1, knn.reshape({B, N * K, 1}).expand({B, N * K, T})).view({B, N, K, T});
  auto centre = f.unsqueeze(2).expand({B, N, K, T});
  auto edge = at::cat({gathered - centre, centre}, 3);  // B x N x K x 2T
  auto e = edge_conv->forward(edge);                    // B x N x K x G
  // GroupNorm over channels as Conv2d's B x G x N x K layout sees it.
  e = edge_norm->forward(e.permute({0, 3, 1, 2})).permute({0, 2, 3, 1});
  e = F::leaky_relu(e, F::LeakyReLUFuncOptions().negative_slope(0.2));
  e = std::get<0>(e.max(2));  // B x N x G
  return point_out->forward(e);
}

torch::Tensor PointToPixelImpl::forward(const torch::Tensor& points) {
  TORCH_CHECK(points.dim() == 3 && points.size(2) == 6,
              "point-to-pixel input must be B x N x 6 (original xyz, placed xyz), got ", points.sizes());
  const int64_t B = points.size(0), V = options.num_views(), S = options.image_size(), G = options.graph_dim();
  auto feats = point_features(points.narrow(2, 0, 3));  // the same in every view
  auto placed = points.narrow(2, 3, 3);
  std::vector<at::Tensor> views;
  for (int64_t k = 0; k < V; ++k) {
    auto m = view_rotation(k).to(placed.options());
    auto projected = placed.matmul(m.t());  // M p; the translation (0, 0, -1.4) does not change x, y
    views.push_back(rasterize_view(projected.narrow(2, 0, 2), feats, S));
  }
  // Sample-major (B V) x G x S x S in channels-last memory: the image block's and fusion's convs run
  // at full resolution and cost most of a point step; oneDNN runs them 1.5-2x faster in NHWC
  // (docs/points.md, "Speed").
  for (auto& v : views) v = v.permute({0, 2, 3, 1});  // back to the rasterizer's B x S x S x G rows
  auto x = at::stack(views, 1).view({B * V, S, S, G}).permute({0, 3, 1, 2});
  // Image block: BasicBlock(G) then a 1x1 conv.
  auto y = at::relu(block_bn1->forward(block_conv1->forward(x)));
  y = block_bn2->forward(block_conv2->forward(y));
  x = block_out->forward(at::relu(y + x));
  // Multi-view fusion: patch tokens of all V views attend to each other.
  auto p = fusion_patch->forward(x);  // (B V) x D x S/7 x S/7
  const int64_t D = p.size(1), h = p.size(2), w = p.size(3), L = V * h * w;
  auto tokens = p.flatten(2).transpose(1, 2).reshape({B, L, D});
  {
    auto q = qkv->forward(attn_norm->forward(tokens))
                 .view({B, L, 3, options.heads(), options.head_dim()})
                 .permute({2, 0, 3, 1, 4});
    auto attn =
        at::softmax(q[0].matmul(q[1].transpose(-2, -1)) / std::sqrt(static_cast<double>(options.head_dim())), -1);
    auto out = attn.matmul(q[2]).transpose(1, 2).reshape({B, L, options.heads() * options.head_dim()});
    tokens = tokens + attn_out->forward(out);
    tokens = tokens + mlp_out->forward(at::gelu(mlp_in->forward(mlp_norm->forward(tokens))));
  }
  auto fused = tokens.reshape({B * V, h, w, D}).permute({0, 3, 1, 2});  // channels-last, as x
  fused = F::interpolate(fused, F::InterpolateFuncOptions().size(std::vector<int64_t>{S, S}).mode(torch::kNearest));
  fused = fusion_up_gelu->forward(fusion_up->forward(fused));
  x = fusion_merge_gelu->forward(fusion_merge->forward(at::cat({fused, x}, 1)));
  // To an ImageNet-normalized RGB image.
  auto rgb = at::sigmoid(to_rgb->forward(x));
  auto mean = at::tensor({0.485f, 0.456f, 0.406f}, rgb.options()).view({1, 3, 1, 1});
  auto std = at::tensor({0.229f, 0.224f, 0.225f}, rgb.options()).view({1, 3, 1, 1});
  return (rgb - mean) / std;
}

}  // namespace unirep::models
