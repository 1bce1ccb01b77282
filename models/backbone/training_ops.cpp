#include "models/backbone/training_ops.h"

#include "models/backbone/batch_norm.h"
#include "models/backbone/dilated_reparam_block.h"
#include "models/backbone/gelu.h"
#include "models/backbone/layer_norm.h"
#include "models/backbone/unireplknet_block.h"

namespace unirep::models {

at::Tensor TrainingOps::channel_mlp(const at::Tensor& x, const at::Tensor& w1, const at::Tensor& b1,
                                    const at::Tensor& gamma, const at::Tensor& beta, const at::Tensor& w2,
                                    const at::Tensor& b2) {
  return linear(grn(gelu(linear(x, w1, b1)), gamma, beta), w2, b2);
}

at::Tensor TrainingOps::batch_norm_sum(const std::vector<at::Tensor>& branches,
                                       const std::vector<BatchNorm2dImpl*>& norms) {
  auto out = norms.at(0)->forward(branches.at(0));
  for (size_t i = 1; i < branches.size(); ++i) out = out + norms.at(i)->forward(branches.at(i));
  return out;
}

int set_training_ops(torch::nn::Module& root, std::shared_ptr<TrainingOps> ops) {
  int n = 0;
  for (const auto& m : root.modules(/*include_self=*/true)) {
    if (auto* block = dynamic_cast<UniRepLKNetBlockImpl*>(m.get())) {
      block->training_ops = ops;
      ++n;
    } else if (auto* drb = dynamic_cast<DilatedReparamBlockImpl*>(m.get())) {
      drb->training_ops = ops;
      ++n;
    } else if (auto* norm = dynamic_cast<ChannelsFirstLayerNormImpl*>(m.get())) {
      norm->training_ops = ops;
      ++n;
    } else if (auto* gelu = dynamic_cast<GeluImpl*>(m.get())) {
      gelu->training_ops = ops;
      ++n;
    }
  }
  return n;
}

}  // namespace unirep::models
