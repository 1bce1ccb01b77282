// unirep::VideoClassifier: the app-facing face of sdk/video/video_classifier.
#include <unirep/api/video_classifier.h>

#include "api_support.h"

#include "sdk/class_scores.h"
#include "sdk/video/video_classifier.h"

namespace unirep {
struct VideoClassifier::Impl {
  RuntimeOptions options;
  // Its query methods are const: calls only read the network (InferenceMode forward) and open
  // their own reader.
  sdk::VideoClassifier classifier;
};

VideoClassifier::VideoClassifier(const std::string& model_file, const RuntimeOptions& options) {
  api_detail::check_options(options);
  api_detail::require_file(model_file, "model file");
  impl_ = api_detail::guarded([&] {
    sdk::VideoClassifierOptions o;
    o.model_file = model_file;
    o.inference = api_detail::inference_settings(options);
    return std::make_shared<const Impl>(Impl{options, sdk::VideoClassifier(o)});
  });
}

VideoClassifier VideoClassifier::from_weights(const std::string& model, const std::string& weights,
                                              const RuntimeOptions& options, int input_size,
                                              std::vector<std::string> labels) {
  api_detail::check_options(options);
  if (model.empty()) throw Error(StatusCode::kInvalidArgument, "no model given (a variant name or a JSON config)");
  api_detail::require_file(weights, "weights file");
  if (input_size < 16 || input_size > 1024)
    throw Error(StatusCode::kInvalidArgument,
                "input_size " + std::to_string(input_size) + " is out of range (16..1024)");
  VideoClassifier out;
  out.impl_ = api_detail::guarded([&] {
    sdk::VideoClassifierOptions o;
    o.backbone.model = model;
    o.backbone.weights = weights;
    o.backbone.reparameterize = true;
    o.transform.size = input_size;
    o.labels = std::move(labels);
    o.inference = api_detail::inference_settings(options);
    return std::make_shared<const Impl>(Impl{options, sdk::VideoClassifier(o)});
  });
  return out;
}

VideoClassifier::~VideoClassifier() = default;
VideoClassifier::VideoClassifier(const VideoClassifier&) = default;
VideoClassifier& VideoClassifier::operator=(const VideoClassifier&) = default;
VideoClassifier::VideoClassifier(VideoClassifier&&) noexcept = default;
VideoClassifier& VideoClassifier::operator=(VideoClassifier&&) noexcept = default;

const std::vector<std::string>& VideoClassifier::labels() const {
  return impl_->classifier.labels();
}

std::vector<LabelScore> VideoClassifier::classify_file(const std::string& path, int top_k, int views) const {
  api_detail::check_top_k(top_k);
  const auto& sampling = impl_->classifier.transform().sampling;
  const int64_t test_views = sampling.temporal_views * sampling.spatial_views;
  if (views != 1 && views != test_views)
    throw Error(StatusCode::kInvalidArgument,
                "views must be 1 or " + std::to_string(test_views) + ", got " + std::to_string(views));
  api_detail::require_file(path, "video file");
  return api_detail::guarded([&] {
    api_detail::CallThreads threads(impl_->options.threads);
    return sdk::top_classes(impl_->classifier.probabilities(path, views), labels(), top_k);
  });
}

}  // namespace unirep
