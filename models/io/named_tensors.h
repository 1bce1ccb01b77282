#pragma once
// An ordered list of named tensors: what a state dict, a safetensors file or a checkpoint's model
// part is once read. Order is the file's order, which keeps written files reproducible.
#include <ATen/Tensor.h>

#include <string>
#include <utility>
#include <vector>

namespace unirep::io {

struct NamedTensor {
  std::string name;
  at::Tensor tensor;
};

using NamedTensors = std::vector<NamedTensor>;

}  // namespace unirep::io
