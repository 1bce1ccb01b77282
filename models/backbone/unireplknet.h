#pragma once
// The UniRepLKNet backbone (arXiv 2311.15599), shared by every modality.
//
//   stem (conv s2, LN, GELU, conv s2, LN) -> stage 0 -> [downsample conv s2 + LN -> stage i] x 3
//   -> head: mean over H, W -> LayerNorm -> Linear            (classification structure), or
//   -> norm0..norm3 LayerNorms on the four stage outputs      (dense-task structure)
//
// Parameter and buffer names are the official state-dict names (docs/backbone.md). Activations run
// channels-last internally; inputs and outputs are ordinary N x C x H x W tensors.
#include "models/backbone/backbone_config.h"
#include "models/backbone/layer_norm.h"
#include "models/backbone/unireplknet_block.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <functional>
#include <vector>

namespace unirep::models {

// The pooled backbone vector (N x dims[3]) of a batch of backbone inputs: lets a head run its
// backbone elsewhere (the SDK passes its fast inference path) and keep its own head code.
using PooledFeatures = std::function<torch::Tensor(const torch::Tensor& backbone_input)>;

// What forward() returns.
enum class OutputMode {
  Logits,  // N x num_classes: pool, LayerNorm, Linear
  Pooled,  // N x dims[3]: the vector the head's Linear sees (pooled, then the head LayerNorm if present)
};

// Which head parameters the network carries (they decide the state-dict keys).
enum class HeadKind {
  Classifier,  // norm + head (num_classes > 0) or norm only (num_classes == 0), the official default
  StageNorms,  // norm0..norm3 on the stage outputs, the official dense-task backbone
  None,        // no head parameters: a body whose pooled output feeds a task head of its own
};

struct UniRepLKNetOptions {
  explicit UniRepLKNetOptions(BackboneConfig config)
      : config_(std::move(config)), layer_scale_init_value_(config_.layer_scale_init_value) {}
  TORCH_ARG(BackboneConfig, config);
  TORCH_ARG(bool, deploy) = false;
  TORCH_ARG(double, drop_path_rate) = 0.0;    // linearly increasing over blocks, as the official code
  TORCH_ARG(double, layer_scale_init_value);  // from the config
  TORCH_ARG(HeadKind, head_kind) = HeadKind::Classifier;
};

class UniRepLKNetImpl : public torch::nn::Module {
 public:
  explicit UniRepLKNetImpl(const UniRepLKNetOptions& options);

  // Logits (or the pooled vector): x is N x in_chans x H x W, any H, W >= 1.
  torch::Tensor forward(const torch::Tensor& x, OutputMode mode = OutputMode::Logits);

  // The four stage outputs (after each downsample and its blocks), N x dims[i] x H/4/2^i x W/4/2^i.
  // With `apply_stage_norms` (needs HeadKind::StageNorms) each passes through norm0..norm3.
  std::vector<torch::Tensor> forward_stages(const torch::Tensor& x, bool apply_stage_norms = false);

  // Turns the train structure into the deploy structure in place; outputs stay the same in eval mode.
  void reparameterize();
  bool deployed() const { return deployed_; }
  bool has_classifier() const { return static_cast<bool>(head); }
  bool has_stage_norms() const { return !stage_norms.empty(); }

  const BackboneConfig& config() const { return options.config(); }

  UniRepLKNetOptions options;
  torch::nn::ModuleList downsample_layers{nullptr};
  torch::nn::ModuleList stages{nullptr};
  torch::nn::LayerNorm norm{nullptr};  // head norm (eps 1e-6)
  torch::nn::Linear head{nullptr};
  std::vector<ChannelsFirstLayerNorm> stage_norms;
  // In training mode with gradients on, each stage's activations are recomputed in the backward
  // pass instead of kept (models/backbone/recompute.h; set_activation_recomputation()).
  bool recompute_stages = false;

 private:
  torch::Tensor pooled(const torch::Tensor& last_stage);
  void init_weights();
  bool deployed_;
};
TORCH_MODULE(UniRepLKNet);

}  // namespace unirep::models
