#include "sdk/video/video_model.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace unirep::sdk {

models::BackboneConfig video_b_layout(int64_t num_classes) {
  models::BackboneConfig c;
  c.depths = {3, 3, 27, 3};
  c.dims = {128, 256, 512, 1024};
  c.kernel_sizes = {{3, 3, 3}, {13, 13, 13}, {}, {11, 11, 11}};
  for (int i = 0; i < 9; ++i) c.kernel_sizes[2].insert(c.kernel_sizes[2].end(), {13, 3, 3});
  c.in_chans = 3;
  c.num_classes = num_classes;
  return c;
}

std::string video_task_json(const VideoModelSpec& s) {
  const auto& t = s.transform;
  nlohmann::json j;
  j["clip"] = {{"frames", t.sampling.clip_len},
               {"sampling_rate", t.sampling.sampling_rate},
               {"temporal_views", t.sampling.temporal_views},
               {"spatial_views", t.sampling.spatial_views},
               {"size", t.size},
               {"mean", t.mean},
               {"std", t.std}};
  return j.dump();
}

VideoModelSpec video_model_spec(const ModelFile& file) {
  VideoModelSpec s;
  s.backbone = file.backbone;
  s.labels = file.labels;
  try {
    const auto c = nlohmann::json::parse(file.task_json).at("clip");
    s.transform.sampling.clip_len = c.at("frames");
    s.transform.sampling.sampling_rate = c.at("sampling_rate");
    s.transform.sampling.temporal_views = c.at("temporal_views");
    s.transform.sampling.spatial_views = c.at("spatial_views");
    s.transform.size = c.at("size");
    s.transform.mean = c.at("mean").get<std::array<float, 3>>();
    s.transform.std = c.at("std").get<std::array<float, 3>>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("video classifier settings are malformed: ") + e.what());
  }
  const auto& t = s.transform;
  if (s.labels.size() < 2) throw std::invalid_argument("video classifier has fewer than two labels");
  if (s.backbone.in_chans != 3 || s.backbone.num_classes != static_cast<int64_t>(s.labels.size()))
    throw std::invalid_argument("video classifier's backbone does not match its labels");
  if (t.size <= 0 || t.sampling.clip_len <= 0 || t.sampling.sampling_rate <= 0 ||
      (t.sampling.clip_len * t.size) % 4 != 0 || t.sampling.temporal_views <= 0 || t.sampling.spatial_views <= 0)
    throw std::invalid_argument("video classifier's clip settings are invalid");
  return s;
}

VideoTask::VideoTask(VideoModelSpec spec, double drop_path_rate)
    : BackboneClassifier(models::UniRepLKNetOptions(spec.backbone).drop_path_rate(drop_path_rate)),
      spec_(std::move(spec)) {}

std::map<std::string, std::string> VideoTask::deploy_metadata() {
  ModelFile f;
  f.kind = kVideoClassifierKind;
  f.backbone = spec_.backbone;
  f.labels = spec_.labels;
  f.task_json = video_task_json(spec_);
  return model_file_metadata(f);
}

}  // namespace unirep::sdk
