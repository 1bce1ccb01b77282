#include "models/backbone/recompute.h"

#include "models/backbone/unireplknet.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/autograd.h>

#include <vector>

namespace unirep::models {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The batch-norm running statistics (and counters) a forward in training mode updates.
std::vector<std::pair<torch::Tensor, torch::Tensor>> snapshot_buffers(torch::nn::SequentialImpl& stage) {
  std::vector<std::pair<torch::Tensor, torch::Tensor>> saved;
  for (auto& b : stage.buffers()) saved.emplace_back(b, b.clone());
  return saved;
}

struct RecomputeFunction : public torch::autograd::Function<RecomputeFunction> {
  // `anchor` requires grad so the output does even when x does not (a frozen stem): the stage's own
  // parameters still need their gradients.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& anchor,
                               torch::nn::SequentialImpl* stage) {
    (void)anchor;
    ctx->saved_data["rng"] = at::detail::getDefaultCPUGenerator().get_state();
    ctx->saved_data["stage"] = reinterpret_cast<int64_t>(stage);
    ctx->saved_data["x_requires_grad"] = x.requires_grad();
    ctx->save_for_backward({x});
    torch::NoGradGuard no_grad;
    return stage->forward(x);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto* stage = reinterpret_cast<torch::nn::SequentialImpl*>(ctx->saved_data["stage"].toInt());
    auto x = ctx->get_saved_variables()[0].detach().requires_grad_(ctx->saved_data["x_requires_grad"].toBool());
    auto generator = at::detail::getDefaultCPUGenerator();
    const auto rng_now = generator.get_state();
    generator.set_state(ctx->saved_data["rng"].toTensor());
    const auto buffers = snapshot_buffers(*stage);
    torch::Tensor y;
    {
      torch::AutoGradMode grad(true);
      y = stage->forward(x);
    }
    generator.set_state(rng_now);
    // Accumulates into the stage's parameter gradients (leaves) and x's.
    torch::autograd::backward({y}, {grad_out[0]});
    {
      // After the backward pass: batch norm's backward reads the running statistics it saved.
      torch::NoGradGuard no_grad;
      for (const auto& [buffer, before] : buffers) buffer.copy_(before);
    }
    return {x.requires_grad() ? x.grad() : torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor run_recomputed(torch::nn::SequentialImpl& stage, const torch::Tensor& x) {
  static const auto anchor = torch::empty({0}, torch::requires_grad());
  return RecomputeFunction::apply(x, anchor, &stage);
}

int set_activation_recomputation(torch::nn::Module& root, bool on) {
  int found = 0;
  auto visit = [&](torch::nn::Module& m) {
    if (auto* net = dynamic_cast<UniRepLKNetImpl*>(&m)) {
      net->recompute_stages = on;
      ++found;
    }
  };
  visit(root);
  for (const auto& child : root.modules(/*include_self=*/false)) visit(*child);
  return found;
}

}  // namespace unirep::models
