// unirep::Backbone: the app-facing face of sdk/backbone_loader for features.
#include <unirep/api/backbone.h>
#include <unirep/api/tensors.h>

#include "api_support.h"
#include "input_limits.h"
#include "memory_budget.h"

#include "modalities/image/image_transform.h"
#include "models/backbone/layout_size.h"
#include "sdk/backbone_loader.h"
#include "sdk/inference_backbone.h"

#include <ATen/ATen.h>
#include <torch/types.h>

#include <cmath>

namespace unirep {

struct Backbone::Impl {
  RuntimeOptions options;
  // Eval mode, deploy structure; calls only read it (InferenceMode forward). `backbone` runs it on
  // the fast path (UNIREP_INFERENCE_PATH=reference: the LibTorch network).
  models::UniRepLKNet model{nullptr};
  sdk::InferenceBackbone backbone;

  at::Tensor input_tensor(const float* input, const std::vector<int64_t>& shape) const {
    if (!input) throw Error(StatusCode::kInvalidArgument, "input: null buffer");
    if (shape.size() != 4)
      throw Error(StatusCode::kInvalidArgument,
                  "input: shape must be N x C x H x W, got " + std::to_string(shape.size()) + " dimensions");
    int64_t n = 1;
    for (auto d : shape) {
      if (d < 1 || d > api_detail::kMaxShapeDimension)
        throw Error(StatusCode::kInvalidArgument, "input: dimension " + std::to_string(d) +
                                                      " of shape is out of range (1.." +
                                                      std::to_string(api_detail::kMaxShapeDimension) + ")");
      n *= d;
      if (n > api_detail::kMaxShapeValues)
        throw Error(StatusCode::kInvalidArgument, "input: shape has more than the limit of " +
                                                      std::to_string(api_detail::kMaxShapeValues) + " values");
    }
    if (shape[1] != model->config().in_chans)
      throw Error(StatusCode::kInvalidArgument, "input: " + std::to_string(shape[1]) +
                                                    " channels, the backbone takes " +
                                                    std::to_string(model->config().in_chans));
    // An input whose largest activation alone exceeds what the process can get cannot succeed:
    // refused before the first allocation (docs/api.md, Input limits).
    const double largest =
        4.0 * static_cast<double>(shape[0]) *
        static_cast<double>(models::largest_activation_elements(model->config(), shape[2], shape[3]));
    api_detail::check_memory_budget(largest, "input: shape " + std::to_string(shape[0]) + " x " +
                                                 std::to_string(shape[1]) + " x " + std::to_string(shape[2]) + " x " +
                                                 std::to_string(shape[3]));
    // A view of the caller's buffer, not a copy (an input may be gigabytes). at::from_blob takes a
    // void* and LibTorch has no read-only tensor, hence the cast: nothing writes to x (the finite
    // check, the fast path's input reorder and the reference network only read it).
    auto x = at::from_blob(const_cast<float*>(input), shape, at::kFloat);
    if (!at::isfinite(x).all().item<bool>())
      throw Error(StatusCode::kInvalidArgument, "input: a value is NaN or infinite");
    return x;
  }
  std::vector<at::Tensor> stages(const at::Tensor& x) const {
    return backbone.forward_stages(x, model->has_stage_norms());
  }
};

Backbone::Backbone(const std::string& model, const std::string& weights, const RuntimeOptions& options) {
  api_detail::check_options(options);
  if (model.empty()) throw Error(StatusCode::kInvalidArgument, "no model given (a variant name or a JSON config)");
  if (!weights.empty()) api_detail::require_file(weights, "weights file");
  impl_ = api_detail::guarded([&] {
    sdk::BackboneSpec spec;
    spec.model = model;
    spec.weights = weights;
    spec.reparameterize = true;
    auto impl = std::make_shared<Impl>();
    impl->options = options;
    impl->model = sdk::load_backbone(spec).model;
    if (weights.empty()) {
      impl->model->reparameterize();
      impl->model->eval();
    }
    impl->backbone = sdk::InferenceBackbone(impl->model, api_detail::inference_settings(options));
    return std::shared_ptr<const Impl>(std::move(impl));
  });
}

Backbone::~Backbone() = default;
Backbone::Backbone(const Backbone&) = default;
Backbone& Backbone::operator=(const Backbone&) = default;
Backbone::Backbone(Backbone&&) noexcept = default;
Backbone& Backbone::operator=(Backbone&&) noexcept = default;

int Backbone::in_channels() const {
  return static_cast<int>(impl_->model->config().in_chans);
}
std::vector<int> Backbone::stage_channels() const {
  std::vector<int> out;
  for (auto d : impl_->model->config().dims) out.push_back(static_cast<int>(d));
  return out;
}

std::vector<FloatArray> Backbone::stage_features_file(const std::string& path, int size) const {
  api_detail::require_file(path, "image file");
  if (in_channels() != 3)
    throw Error(StatusCode::kInvalidArgument, path + ": image features need a 3-channel backbone");
  if (size < 32 || size > 4096)
    throw Error(StatusCode::kInvalidArgument, "size " + std::to_string(size) + " is out of range (32..4096)");
  return api_detail::guarded([&] {
    api_detail::CallThreads threads(impl_->options.threads);
    modalities::ImageTransformOptions transform;
    transform.size = size;
    std::vector<FloatArray> out;
    for (const auto& t : impl_->stages(modalities::load_image_input(path, transform).unsqueeze(0)))
      out.push_back(to_float_array(t));
    return out;
  });
}

std::vector<FloatArray> Backbone::stage_features(const float* input, const std::vector<int64_t>& shape) const {
  const auto x = impl_->input_tensor(input, shape);
  return api_detail::guarded([&] {
    api_detail::CallThreads threads(impl_->options.threads);
    std::vector<FloatArray> out;
    for (const auto& t : impl_->stages(x)) out.push_back(to_float_array(t));
    return out;
  });
}

FloatArray Backbone::pooled_features(const float* input, const std::vector<int64_t>& shape) const {
  const auto x = impl_->input_tensor(input, shape);
  return api_detail::guarded([&] {
    api_detail::CallThreads threads(impl_->options.threads);
    return to_float_array(impl_->backbone.forward(x, models::OutputMode::Pooled));
  });
}

// ---- the opt-in tensor interface (unirep/api/tensors.h) ----

struct BackboneAccess {
  static const Backbone::Impl& impl(const Backbone& b) { return *b.impl_; }
};

at::Tensor to_tensor(const FloatArray& array) {
  int64_t n = 1;
  for (auto d : array.shape) n *= d;
  if (n != static_cast<int64_t>(array.values.size()))
    throw Error(StatusCode::kInvalidArgument, "FloatArray: shape and value count disagree");
  return at::tensor(at::ArrayRef<float>(array.values)).reshape(array.shape);
}

FloatArray to_float_array(const at::Tensor& tensor) {
  const auto t = tensor.detach().to(at::kCPU, at::kFloat).contiguous();
  FloatArray out;
  out.shape = t.sizes().vec();
  out.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  return out;
}

std::vector<at::Tensor> stage_features(const Backbone& backbone, const at::Tensor& input) {
  if (input.dim() != 4 || input.scalar_type() != at::kFloat)
    throw Error(StatusCode::kInvalidArgument, "input: a 4-D float tensor is needed");
  return api_detail::guarded([&] {
    const auto& impl = BackboneAccess::impl(backbone);
    api_detail::CallThreads threads(impl.options.threads);
    return impl.stages(input.contiguous());
  });
}

}  // namespace unirep
