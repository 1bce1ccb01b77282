#pragma once
// The point-cloud classifier as a training task and as a file (kind "point_classifier"): the
// deploy-structure safetensors with the labels, the projection sizes and the point preprocessing,
// so `classify-points` needs nothing else.
#include "sdk/inference_backbone.h"
#include "modalities/points/point_input.h"
#include "models/points/point_cloud_net.h"
#include "sdk/model_file.h"
#include "sdk/train/task.h"

#include <optional>
#include <string>
#include <vector>

namespace unirep::sdk {

inline constexpr const char* kPointClassifierKind = "point_classifier";

struct PointModelSpec {
  models::BackboneConfig backbone;
  models::PointToPixelOptions projection;
  std::vector<std::string> labels;
  modalities::PointInputOptions input;
  models::PointCloudNetOptions model_options(bool deploy = false, double drop_path_rate = 0.0) const;
};

std::string point_task_json(const PointModelSpec& spec);
PointModelSpec point_model_spec(const ModelFile& file);  // throws std::invalid_argument when malformed

class PointTask : public Task {
 public:
  explicit PointTask(PointModelSpec spec, double drop_path_rate = 0.0);
  torch::nn::Module& model() override { return *net_; }
  at::Tensor forward(const at::Tensor& input) override { return net_->forward(input); }
  bool classification() const override { return true; }
  io::NamedTensors deploy_state() override;
  std::map<std::string, std::string> deploy_metadata() override;
  const PointModelSpec& spec() const { return spec_; }
  models::PointCloudNet& net() { return net_; }

 private:
  PointModelSpec spec_;
  models::PointCloudNet net_;
};

// B x N x 3 normalized points -> B x N x 6 model input: the points, and the points rotated by the
// k-th of the 8 official test rotations (docs/reference.md, Point clouds), the placement that
// decides the pixels.
at::Tensor with_test_rotation(const at::Tensor& points, int k);

class PointCloudRecognizer {
 public:
  // `inference`: which network runs, in which precision (see sdk/inference_backbone.h).
  static PointCloudRecognizer load(const std::string& path, const InferenceSettings& inference = {});
  const PointModelSpec& spec() const { return spec_; }
  // Class probabilities of one file's points (N x 3 from load_point_input; a cloud with fewer
  // points than the model's is repeated up to its count, as in training): softmax of the logits
  // under test rotation 0, or averaged over all 8 rotations when `all_rotations`.
  at::Tensor probabilities(const at::Tensor& points, bool all_rotations = false) const;
  // 8 x K: the class probabilities under each of the 8 test rotations.
  at::Tensor rotation_probabilities(const at::Tensor& points) const;
  // The (V) x 3 x S x S images the backbone sees for rotation 0 (ImageNet-normalized).
  at::Tensor view_images(const at::Tensor& points) const;

 private:
  PointCloudRecognizer(models::PointCloudNet net, PointModelSpec spec, const InferenceSettings& inference);
  at::Tensor logits(const at::Tensor& inputs) const;  // B x N x 6 -> B x K, the network's forward on the chosen path
  // A shared handle: copies share the network. A call only reads it (eval mode, no grad), so the
  // query methods are const; LibTorch's forward is not, hence calls go through net_.ptr().
  models::PointCloudNet net_;
  InferenceBackbone backbone_;  // net_'s backbone on the chosen path
  PointModelSpec spec_;
};

}  // namespace unirep::sdk
