#pragma once
// What the training engine reads: a dataset of (input, target) examples addressed by index.
// Every modality supplies one; TensorDataset serves in-memory tensors (e.g. from .npy files).
#include <ATen/Tensor.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace unirep::sdk {

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

// What a TensorDataset's errors call its tensors: the files they came from (e.g. "x.npy"), or
// by default the constructor's argument names.
struct TensorSources {
  std::string inputs = "inputs";
  std::string targets = "targets";
};

// Examples are slices along the first axis of `inputs` and `targets`. A value that would poison
// training is refused up front with std::invalid_argument naming the source and the first bad
// position (docs/training.md, "Bad values"): NaN or infinite inputs or float targets, negative
// class indices in integer targets.
class TensorDataset : public Dataset {
 public:
  TensorDataset(at::Tensor inputs, at::Tensor targets, TensorSources sources = {});
  size_t size() const override;
  Example get(size_t index) const override;
  // Refuses integer class targets at or above `num_classes` (the model's output count), naming the
  // targets' source and the first such index. Float targets are not class indices and pass.
  void require_classes(int64_t num_classes) const;

 private:
  at::Tensor inputs_, targets_;
  TensorSources sources_;
};

}  // namespace unirep::sdk
