// unirep::PointCloudRecognizer: the app-facing face of sdk/points/point_model's PointCloudRecognizer.
#include <unirep/api/point_cloud_recognizer.h>

#include "api_support.h"
#include "input_limits.h"

#include "modalities/points/point_input.h"
#include "sdk/class_scores.h"
#include "sdk/points/point_model.h"

#include <cmath>

namespace unirep {
struct PointCloudRecognizer::Impl {
  RuntimeOptions options;
  // Its query methods are const: calls only read the network (eval mode, no-grad forward).
  sdk::PointCloudRecognizer classifier;
};

PointCloudRecognizer::PointCloudRecognizer(const std::string& model_file, const RuntimeOptions& options) {
  api_detail::check_options(options);
  api_detail::require_file(model_file, "model file");
  impl_ = api_detail::guarded([&] {
    return std::make_shared<const Impl>(
        Impl{options, sdk::PointCloudRecognizer::load(model_file, api_detail::inference_settings(options))});
  });
}

PointCloudRecognizer::~PointCloudRecognizer() = default;
PointCloudRecognizer::PointCloudRecognizer(const PointCloudRecognizer&) = default;
PointCloudRecognizer& PointCloudRecognizer::operator=(const PointCloudRecognizer&) = default;
PointCloudRecognizer::PointCloudRecognizer(PointCloudRecognizer&&) noexcept = default;
PointCloudRecognizer& PointCloudRecognizer::operator=(PointCloudRecognizer&&) noexcept = default;

const std::vector<std::string>& PointCloudRecognizer::labels() const {
  return impl_->classifier.spec().labels;
}

std::vector<LabelScore> PointCloudRecognizer::recognize_file(const std::string& path, int top_k,
                                                             bool all_rotations) const {
  api_detail::check_top_k(top_k);
  api_detail::require_file(path, "point cloud file");
  return api_detail::guarded([&] {
    api_detail::CallThreads threads(impl_->options.threads);
    const auto points = modalities::load_point_input(path, impl_->classifier.spec().input);
    return sdk::top_classes(impl_->classifier.probabilities(points, all_rotations), labels(), top_k);
  });
}

std::vector<LabelScore> PointCloudRecognizer::recognize_points(const float* xyz, size_t count, int top_k,
                                                               bool all_rotations) const {
  api_detail::check_top_k(top_k);
  if (!xyz) throw Error(StatusCode::kInvalidArgument, "points: null buffer");
  if (count < 3)
    throw Error(StatusCode::kInvalidArgument, "points: " + std::to_string(count) + " points, at least 3 needed");
  if (count > api_detail::kMaxPoints)
    throw Error(StatusCode::kInvalidArgument, "points: count " + std::to_string(count) + " exceeds the limit of " +
                                                  std::to_string(api_detail::kMaxPoints) + " points");
  modalities::PointCloud cloud;
  cloud.xyz.resize(count);
  for (size_t i = 0; i < count; ++i) {
    for (int c = 0; c < 3; ++c) {
      const float v = xyz[i * 3 + static_cast<size_t>(c)];
      if (!std::isfinite(v))
        throw Error(StatusCode::kInvalidArgument, "points: point " + std::to_string(i) + " is NaN or infinite");
      cloud.xyz[i][static_cast<size_t>(c)] = v;
    }
  }
  return api_detail::guarded([&] {
    api_detail::CallThreads threads(impl_->options.threads);
    const auto points = modalities::cloud_to_input(std::move(cloud), impl_->classifier.spec().input);
    return sdk::top_classes(impl_->classifier.probabilities(points, all_rotations), labels(), top_k);
  });
}

}  // namespace unirep
