#pragma once
// Opt-in: tensors in and out of the C++ API, for apps that already use LibTorch (1.13, the same
// build libunirep links). Include it only if your build finds LibTorch's headers; the rest of the
// API never exposes them.
#include <unirep/api/backbone.h>
#include <unirep/api/export.h>
#include <unirep/api/results.h>

#include <ATen/Tensor.h>

#include <vector>

namespace unirep {

// A copy of a FloatArray as a float32 CPU tensor of its shape, and back.
UNIREP_API at::Tensor to_tensor(const FloatArray& array);
UNIREP_API FloatArray to_float_array(const at::Tensor& tensor);

// The four stage maps of an N x C x H x W float tensor (no copy of the outputs).
UNIREP_API std::vector<at::Tensor> stage_features(const Backbone& backbone, const at::Tensor& input);

}  // namespace unirep
