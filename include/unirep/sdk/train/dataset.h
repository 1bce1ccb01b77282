#pragma once
// What the training engine reads: a dataset of (input, target) examples addressed by index.
// Every modality supplies one; TensorDataset serves in-memory tensors (e.g. from .npy files).
#include <ATen/Tensor.h>

#include <cstddef>
#include <memory>

namespace unirep::sdk::train {

struct Example {
  at::Tensor input;   // one example, no batch axis
  at::Tensor target;  // class index (int64 scalar), soft/multi-hot vector, or regression target
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual size_t size() const = 0;
  // Must be safe to call from several loader threads at once.
  virtual Example get(size_t index) const = 0;
};

// Examples are slices along the first axis of `inputs` and `targets`.
class TensorDataset : public Dataset {
 public:
  TensorDataset(at::Tensor inputs, at::Tensor targets);
  size_t size() const override;
  Example get(size_t index) const override;

 private:
  at::Tensor inputs_, targets_;
};

}  // namespace unirep::sdk::train
