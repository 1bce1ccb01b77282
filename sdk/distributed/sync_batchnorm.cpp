#include "sdk/distributed/sync_batchnorm.h"

#include "models/backbone/batch_norm.h"

#include <torch/autograd.h>

namespace unirep::sdk {
namespace {

// y = sum over ranks of x. Every rank's loss depends on y, so dL_total/dx = sum over ranks of dL/dy:
// the backward is the same all-reduce applied to the gradient.
struct AllReduceSum : torch::autograd::Function<AllReduceSum> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, Communicator* comm) {
    ctx->saved_data["comm"] = reinterpret_cast<int64_t>(comm);
    std::vector<at::Tensor> t{x.detach().contiguous().clone()};
    comm->allreduce_sum(t);
    return t[0];
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto* comm = reinterpret_cast<Communicator*>(ctx->saved_data["comm"].toInt());
    std::vector<at::Tensor> t{grads[0].contiguous().clone()};
    comm->allreduce_sum(t);
    return {t[0], at::Tensor()};
  }
};

class CommunicatorReducer : public models::BatchStatsReducer {
 public:
  explicit CommunicatorReducer(Communicator& comm) : comm_(comm) {}
  at::Tensor sum(const at::Tensor& local) override { return AllReduceSum::apply(local, &comm_); }

 private:
  Communicator& comm_;
};

}  // namespace

int convert_sync_batchnorm(torch::nn::Module& module, Communicator& comm) {
  return models::set_batch_stats_reducer(module, std::make_shared<CommunicatorReducer>(comm));
}

}  // namespace unirep::sdk
