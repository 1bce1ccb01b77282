#include "sdk/points/point_model.h"

#include "models/io/format_error.h"
#include "modalities/points/point_file_list.h"
#include "models/backbone/state_dict.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/autograd.h>

namespace unirep::sdk {

models::PointCloudNetOptions PointModelSpec::model_options(bool deploy, double drop_path_rate) const {
  return models::PointCloudNetOptions(backbone, static_cast<int64_t>(labels.size()))
      .projection(projection)
      .deploy(deploy)
      .drop_path_rate(drop_path_rate);
}

std::string point_task_json(const PointModelSpec& s) {
  nlohmann::json j;
  const auto& p = s.projection;
  j["projection"] = {{"num_views", p.num_views()}, {"image_size", p.image_size()}, {"trans_dim", p.trans_dim()},
                     {"graph_dim", p.graph_dim()}, {"neighbours", p.neighbours()}, {"fusion_dim", p.fusion_dim()},
                     {"heads", p.heads()},         {"head_dim", p.head_dim()},     {"mlp_dim", p.mlp_dim()}};
  j["input"] = {
      {"points", s.input.points}, {"surface_points", s.input.surface_points}, {"modelnet_axes", s.input.modelnet_axes}};
  return j.dump();
}

PointModelSpec point_model_spec(const ModelFile& file) {
  PointModelSpec s;
  s.backbone = file.backbone;
  s.labels = file.labels;
  try {
    const auto j = nlohmann::json::parse(file.task_json);
    const auto& p = j.at("projection");
    s.projection.num_views(p.at("num_views"))
        .image_size(p.at("image_size"))
        .trans_dim(p.at("trans_dim"))
        .graph_dim(p.at("graph_dim"))
        .neighbours(p.at("neighbours"))
        .fusion_dim(p.at("fusion_dim"))
        .heads(p.at("heads"))
        .head_dim(p.at("head_dim"))
        .mlp_dim(p.at("mlp_dim"));
    const auto& in = j.at("input");
    s.input.points = in.at("points");
    s.input.surface_points = in.at("surface_points");
    s.input.modelnet_axes = in.at("modelnet_axes");
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("point classifier settings are malformed: ") + e.what());
  }
  if (s.labels.size() < 2) throw std::invalid_argument("point classifier has fewer than two labels");
  return s;
}

PointTask::PointTask(PointModelSpec spec, double drop_path_rate)
    : spec_(std::move(spec)), net_(spec_.model_options(false, drop_path_rate)) {}

io::NamedTensors PointTask::deploy_state() {
  models::PointCloudNet copy(spec_.model_options(false));
  models::load_state_dict(*copy, models::state_dict(*net_));
  copy->eval();
  copy->reparameterize();
  return models::state_dict(*copy);
}

std::map<std::string, std::string> PointTask::deploy_metadata() {
  ModelFile f;
  f.kind = kPointClassifierKind;
  f.backbone = spec_.backbone;
  f.labels = spec_.labels;
  f.task_json = point_task_json(spec_);
  return model_file_metadata(f);
}

at::Tensor with_test_rotation(const at::Tensor& points, int k) {
  const auto r = modalities::test_rotation(k);
  const auto R = at::tensor(at::ArrayRef<float>(r)).view({3, 3}).to(points.options());
  return at::cat({points, points.matmul(R.t())}, -1);
}

PointCloudRecognizer PointCloudRecognizer::load(const std::string& path, const InferenceSettings& inference) {
  auto file = read_model_file(path, kPointClassifierKind);
  PointModelSpec spec;
  try {
    spec = point_model_spec(file);
  } catch (const std::invalid_argument& e) {
    throw io::FormatError(path, e.what());
  }
  models::PointCloudNet net(spec.model_options(/*deploy=*/true));
  load_model_file_weights(*net, file, path);
  return PointCloudRecognizer(net, std::move(spec), inference);
}

PointCloudRecognizer::PointCloudRecognizer(models::PointCloudNet net, PointModelSpec spec,
                                           const InferenceSettings& inference)
    : net_(std::move(net)), spec_(std::move(spec)) {
  net_->eval();
  backbone_ = InferenceBackbone(net_->backbone, inference);
}

at::Tensor PointCloudRecognizer::logits(const at::Tensor& inputs) const {
  torch::InferenceMode guard;
  return net_.ptr()->forward(
      inputs, [this](const at::Tensor& images) { return backbone_.forward(images, models::OutputMode::Pooled); });
}

at::Tensor PointCloudRecognizer::rotation_probabilities(const at::Tensor& points) const {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> batch;
  const auto p = modalities::tile_to_count(points, spec_.input.points);
  for (int k = 0; k < 8; ++k) batch.push_back(with_test_rotation(p, k));
  return at::softmax(logits(at::stack(batch)), 1);
}

at::Tensor PointCloudRecognizer::probabilities(const at::Tensor& points, bool all_rotations) const {
  if (all_rotations) return rotation_probabilities(points).mean(0);
  torch::NoGradGuard no_grad;
  const auto p = modalities::tile_to_count(points, spec_.input.points);
  return at::softmax(logits(with_test_rotation(p, 0).unsqueeze(0)), 1).squeeze(0);
}

at::Tensor PointCloudRecognizer::view_images(const at::Tensor& points) const {
  torch::NoGradGuard no_grad;
  const auto p = modalities::tile_to_count(points, spec_.input.points);
  return net_.ptr()->images(with_test_rotation(p, 0).unsqueeze(0));
}

}  // namespace unirep::sdk
