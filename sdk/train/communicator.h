#pragma once
// What data-parallel training needs from the process group, so the trainer does not depend on a
// particular backend. sdk/distributed implements it with c10d + Gloo; tests can fake it.
#include <ATen/Tensor.h>

#include <vector>

namespace unirep::sdk {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  // In place, on every rank: tensors take rank `root`'s values.
  virtual void broadcast(std::vector<at::Tensor>& tensors, int root = 0) = 0;
  // In place, on every rank: the element-wise sum over ranks.
  virtual void allreduce_sum(std::vector<at::Tensor>& tensors) = 0;
  virtual void barrier() = 0;
};

}  // namespace unirep::sdk
