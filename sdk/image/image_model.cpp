#include "sdk/image/image_model.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace unirep::sdk {

std::string image_task_json(const ImageModelSpec& s) {
  const auto& t = s.transform;
  nlohmann::json j;
  j["transform"] = {
      {"size", t.size}, {"crop_pct", t.crop_pct}, {"warp_from", t.warp_from}, {"mean", t.mean}, {"std", t.std}};
  return j.dump();
}

ImageModelSpec image_model_spec(const ModelFile& file) {
  ImageModelSpec s;
  s.backbone = file.backbone;
  s.labels = file.labels;
  try {
    const auto t = nlohmann::json::parse(file.task_json).at("transform");
    s.transform.size = t.at("size");
    s.transform.crop_pct = t.at("crop_pct");
    s.transform.warp_from = t.at("warp_from");
    s.transform.mean = t.at("mean").get<std::array<float, 3>>();
    s.transform.std = t.at("std").get<std::array<float, 3>>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("image classifier settings are malformed: ") + e.what());
  }
  if (s.labels.size() < 2) throw std::invalid_argument("image classifier has fewer than two labels");
  if (s.backbone.in_chans != 3 || s.backbone.num_classes != static_cast<int64_t>(s.labels.size()))
    throw std::invalid_argument("image classifier's backbone does not match its labels (" +
                                std::to_string(s.labels.size()) + " labels, " + std::to_string(s.backbone.num_classes) +
                                " outputs)");
  if (s.transform.size <= 0 || !(s.transform.crop_pct > 0 && s.transform.crop_pct <= 1))
    throw std::invalid_argument("image classifier's transform is invalid");
  return s;
}

ImageTask::ImageTask(ImageModelSpec spec, double drop_path_rate)
    : BackboneClassifier(models::UniRepLKNetOptions(spec.backbone).drop_path_rate(drop_path_rate)),
      spec_(std::move(spec)) {}

std::map<std::string, std::string> ImageTask::deploy_metadata() {
  ModelFile f;
  f.kind = kImageClassifierKind;
  f.backbone = spec_.backbone;
  f.labels = spec_.labels;
  f.task_json = image_task_json(spec_);
  return model_file_metadata(f);
}

}  // namespace unirep::sdk
