// unirep::ImageClassifier: the app-facing face of sdk/image/image_classifier.
#include <unirep/api/image_classifier.h>

#include "api_support.h"

#include "modalities/image/image_decode.h"
#include "modalities/image/image_transform.h"
#include "sdk/image/image_classifier.h"

#include <cstring>

namespace unirep {
struct ImageClassifier::Impl {
  RuntimeOptions options;
  // Its query methods are const: calls only read the network (InferenceMode forward), so one
  // instance serves concurrent calls.
  sdk::ImageClassifier classifier;
};

ImageClassifier::ImageClassifier(const std::string& model_file, const RuntimeOptions& options) {
  api_detail::check_options(options);
  api_detail::require_file(model_file, "model file");
  impl_ = api_detail::guarded([&] {
    sdk::ImageClassifierOptions o;
    o.model_file = model_file;
    o.inference = api_detail::inference_settings(options);
    return std::make_shared<const Impl>(Impl{options, sdk::ImageClassifier(o)});
  });
}

ImageClassifier ImageClassifier::from_weights(const std::string& model, const std::string& weights,
                                              const RuntimeOptions& options, int input_size,
                                              std::vector<std::string> labels) {
  api_detail::check_options(options);
  if (model.empty()) throw Error(StatusCode::kInvalidArgument, "no model given (a variant name or a JSON config)");
  api_detail::require_file(weights, "weights file");
  if (input_size < 32 || input_size > 4096)
    throw Error(StatusCode::kInvalidArgument,
                "input_size " + std::to_string(input_size) + " is out of range (32..4096)");
  ImageClassifier out;
  out.impl_ = api_detail::guarded([&] {
    sdk::ImageClassifierOptions o;
    o.backbone.model = model;
    o.backbone.weights = weights;
    o.backbone.reparameterize = true;
    o.transform.size = input_size;
    o.labels = std::move(labels);
    o.inference = api_detail::inference_settings(options);
    return std::make_shared<const Impl>(Impl{options, sdk::ImageClassifier(o)});
  });
  return out;
}

ImageClassifier::~ImageClassifier() = default;
ImageClassifier::ImageClassifier(const ImageClassifier&) = default;
ImageClassifier& ImageClassifier::operator=(const ImageClassifier&) = default;
ImageClassifier::ImageClassifier(ImageClassifier&&) noexcept = default;
ImageClassifier& ImageClassifier::operator=(ImageClassifier&&) noexcept = default;

const std::vector<std::string>& ImageClassifier::labels() const {
  return impl_->classifier.labels();
}
int ImageClassifier::input_size() const {
  return impl_->classifier.options().transform.size;
}

std::vector<LabelScore> ImageClassifier::classify_file(const std::string& path, int top_k) const {
  api_detail::check_top_k(top_k);
  api_detail::require_file(path, "image file");
  return api_detail::guarded([&] {
    api_detail::CallThreads threads(impl_->options.threads);
    return impl_->classifier.classify(path, top_k);
  });
}

std::vector<LabelScore> ImageClassifier::classify_pixels(const uint8_t* rgb, int width, int height, int stride,
                                                         int top_k) const {
  api_detail::check_top_k(top_k);
  if (!rgb) throw Error(StatusCode::kInvalidArgument, "pixels: null buffer");
  if (width < 1 || height < 1 || width > 65535 || height > 65535)
    throw Error(StatusCode::kInvalidArgument,
                "pixels: size " + std::to_string(width) + " x " + std::to_string(height) + " is out of range");
  // The decoder's pixel limit holds for pixels from memory too (docs/api.md, Input limits).
  const int64_t pixels = int64_t{width} * height;
  const int64_t max_pixels =
      api_detail::guarded([&] { return modalities::max_image_pixels(impl_->classifier.options().decode); });
  if (pixels > max_pixels)
    throw Error(StatusCode::kInvalidArgument, "pixels: width x height " + std::to_string(width) + " x " +
                                                  std::to_string(height) + " is " + std::to_string(pixels) +
                                                  " pixels, more than the limit of " + std::to_string(max_pixels));
  if (stride == 0) stride = width * 3;
  if (stride < width * 3)
    throw Error(StatusCode::kInvalidArgument, "pixels: stride " + std::to_string(stride) + " is less than width * 3");
  return api_detail::guarded([&] {
    api_detail::CallThreads threads(impl_->options.threads);
    modalities::RgbImage image;
    image.width = width;
    image.height = height;
    image.pixels.resize(static_cast<size_t>(width) * height * 3);
    for (int y = 0; y < height; ++y)
      std::memcpy(image.at(y, 0), rgb + static_cast<size_t>(y) * stride, static_cast<size_t>(width) * 3);
    const auto input = modalities::eval_transform(image, impl_->classifier.options().transform);
    return impl_->classifier.top_k(impl_->classifier.probabilities(input.unsqueeze(0))[0], top_k);
  });
}

}  // namespace unirep
