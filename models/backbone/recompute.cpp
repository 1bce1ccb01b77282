#include "models/backbone/recompute.h"

#include "models/backbone/unireplknet.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/autograd.h>

#include <vector>

namespace unirep::models {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Puts back, however the recomputation ends (an exception included), the batch-norm running
// statistics a forward in training mode updates and the CPU generator's state.
class RestoreOnExit {
 public:
  explicit RestoreOnExit(torch::nn::SequentialImpl& stage)
      : generator_(at::detail::getDefaultCPUGenerator()), rng_(generator_.get_state()) {
    for (auto& b : stage.buffers()) buffers_.emplace_back(b, b.clone());
  }
  ~RestoreOnExit() {
    torch::NoGradGuard no_grad;
    for (auto& [buffer, before] : buffers_) buffer.copy_(before);
    generator_.set_state(rng_);
  }
  RestoreOnExit(const RestoreOnExit&) = delete;
  RestoreOnExit& operator=(const RestoreOnExit&) = delete;

 private:
  at::Generator generator_;
  at::Tensor rng_;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> buffers_;
};

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
    // The engine enables gradients in a backward pass only for create_graph: the reentrant backward
    // below builds no graph of its own, so a double backward would be silently wrong.
    if (torch::GradMode::is_enabled())
      throw std::invalid_argument("recomputed stages do not support double backward (create_graph)");
    auto* stage = reinterpret_cast<torch::nn::SequentialImpl*>(ctx->saved_data["stage"].toInt());
    auto x = ctx->get_saved_variables()[0].detach().requires_grad_(ctx->saved_data["x_requires_grad"].toBool());
    // Restored after the backward pass below: batch norm's backward reads the statistics it saved.
    RestoreOnExit restore(*stage);
    at::Generator generator = at::detail::getDefaultCPUGenerator();  // a handle on the process's generator
    generator.set_state(ctx->saved_data["rng"].toTensor());
    torch::Tensor y;
    {
      torch::AutoGradMode grad(true);
      y = stage->forward(x);
    }
    if (!y.requires_grad()) return {torch::Tensor(), torch::Tensor(), torch::Tensor()};
    // Accumulates into the stage's parameter gradients (leaves) and x's.
    torch::autograd::backward({y}, {grad_out[0]});
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
  for (const auto& m : root.modules(/*include_self=*/true)) {
    if (auto* net = dynamic_cast<UniRepLKNetImpl*>(m.get())) {
      net->recompute_stages = on;
      ++found;
    }
  }
  return found;
}

}  // namespace unirep::models
