#pragma once
// The point-cloud classifier of the paper (docs/points.md): point-to-pixel projection into V
// images, the shared backbone on all (B V) images, and the head on the last-stage maps
// concatenated over views: (B V) x C x h x w -> B x (V C) x h x w (channel blocks by view),
// average pool, LayerNorm(V C), Linear.
//
// Parameter names: projection.*, backbone.* (official), head_norm.*, head.*.
#include "models/points/point_to_pixel.h"
#include "models/backbone/unireplknet.h"

namespace unirep::models {

struct PointCloudNetOptions {
  PointCloudNetOptions(BackboneConfig backbone, int64_t num_classes)
      : backbone_(std::move(backbone)), num_classes_(num_classes) {}
  TORCH_ARG(BackboneConfig, backbone);  // in_chans forced to 3
  TORCH_ARG(int64_t, num_classes);
  TORCH_ARG(PointToPixelOptions, projection) = {};
  TORCH_ARG(bool, deploy) = false;
  TORCH_ARG(double, drop_path_rate) = 0.0;
};

class PointCloudNetImpl : public torch::nn::Module {
 public:
  explicit PointCloudNetImpl(const PointCloudNetOptions& options);
  // B x N x 6 -> B x num_classes logits; with `pooled`, the (B V) view images' pooled features
  // come from it instead of `backbone` (its spatial mean: the backbone has no head of its own).
  torch::Tensor forward(const torch::Tensor& points, const PooledFeatures& pooled = {});
  torch::Tensor images(const torch::Tensor& points) { return projection->forward(points); }
  void reparameterize() { backbone->reparameterize(); }

  PointCloudNetOptions options;
  PointToPixel projection{nullptr};
  UniRepLKNet backbone{nullptr};
  torch::nn::LayerNorm head_norm{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(PointCloudNet);

}  // namespace unirep::models
