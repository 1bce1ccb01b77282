#include "models/points/point_cloud_net.h"

#include <ATen/ATen.h>

namespace unirep::models {

PointCloudNetImpl::PointCloudNetImpl(const PointCloudNetOptions& o) : options(o) {
  auto cfg = options.backbone();
  cfg.in_chans = 3;
  cfg.num_classes = 0;
  options.backbone(cfg);
  projection = register_module("projection", PointToPixel(options.projection()));
  backbone = register_module("backbone", UniRepLKNet(UniRepLKNetOptions(cfg)
                                                         .deploy(options.deploy())
                                                         .drop_path_rate(options.drop_path_rate())
                                                         .head_kind(HeadKind::None)));
  const int64_t width = options.projection().num_views() * cfg.dims[3];
  head_norm = register_module("head_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
  head = register_module("head", torch::nn::Linear(width, options.num_classes()));
  torch::NoGradGuard no_grad;
  head->weight.normal_(0.0, 0.02);
  head->bias.zero_();
}

torch::Tensor PointCloudNetImpl::forward(const torch::Tensor& points, const PooledFeatures& pooled_features) {
  const int64_t B = points.size(0), V = options.projection().num_views();
  auto imgs = projection->forward(points).contiguous(at::MemoryFormat::ChannelsLast);
  // (B V) x C: pooling commutes with the view-major channel concatenation, so pool first, then regroup.
  auto per_view = pooled_features ? pooled_features(imgs) : backbone->forward_stages(imgs).back().mean({2, 3});
  auto pooled = per_view.reshape({B, V * per_view.size(1)});
  return head->forward(head_norm->forward(pooled));
}

}  // namespace unirep::models
