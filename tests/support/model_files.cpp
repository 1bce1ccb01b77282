#include "model_files.h"

#include "models/io/safetensors.h"
#include "models/backbone/randomize.h"
#include "sdk/audio/audio_model.h"
#include "sdk/backbone_loader.h"
#include "sdk/image/image_model.h"
#include "sdk/points/point_model.h"
#include "sdk/video/video_model.h"

#include <fstream>

namespace unirep::testing {
namespace {

models::BackboneConfig tiny(int64_t in_chans, int64_t classes) {
  models::BackboneConfig c;
  c.depths = {1, 1, 1, 1};
  c.dims = {8, 16, 16, 32};
  c.kernel_sizes = {{3}, {7}, {3}, {5}};
  c.in_chans = in_chans;
  c.num_classes = classes;
  return c;
}

void write_task(sdk::Task& task, const std::string& path, uint64_t seed) {
  models::randomize_for_checks(task.model(), seed);  // non-trivial norms, so outputs differ by input
  task.model().eval();
  io::write_safetensors(path, task.deploy_state(), task.deploy_metadata());
}

}  // namespace

std::vector<std::string> write_audio_model(const std::string& path) {
  sdk::AudioModelSpec spec;
  spec.backbone = tiny(1, 3);
  spec.labels = {"yes", "no", "stop"};
  sdk::AudioTask task(spec);
  write_task(task, path, 11);
  return spec.labels;
}

void write_mismatched_audio_model(const std::string& path) {
  sdk::AudioModelSpec spec;
  spec.backbone = tiny(1, 3);
  spec.labels = {"yes", "no", "stop"};
  sdk::AudioTask task(spec);
  auto meta = task.deploy_metadata();
  auto other = spec.backbone;
  other.dims = {8, 16, 16, 48};  // the stored layout no longer fits the weights
  meta["unirep.backbone"] = other.to_json();
  io::write_safetensors(path, task.deploy_state(), meta);
}

std::vector<std::string> write_image_model(const std::string& path) {
  sdk::ImageModelSpec spec;
  spec.labels = {"cat", "dog", "bird", "fish"};
  spec.backbone = tiny(3, 4);
  spec.transform.size = 64;
  sdk::ImageTask task(spec);
  write_task(task, path, 12);
  return spec.labels;
}

std::vector<std::string> write_point_model(const std::string& path) {
  sdk::PointModelSpec spec;
  spec.backbone = tiny(3, 0);
  spec.labels = {"cube", "sphere", "cone"};
  spec.projection.num_views(2).image_size(28).graph_dim(8).neighbours(4).fusion_dim(16).heads(2).head_dim(8).mlp_dim(
      16);
  spec.input.points = 128;
  spec.input.surface_points = 512;
  sdk::PointTask task(spec);
  write_task(task, path, 13);
  return spec.labels;
}

std::vector<std::string> write_video_model(const std::string& path) {
  sdk::VideoModelSpec spec;
  spec.labels = {"left", "right"};
  spec.backbone = tiny(3, 2);
  spec.transform.size = 16;
  spec.transform.sampling.clip_len = 4;
  spec.transform.sampling.sampling_rate = 2;
  sdk::VideoTask task(spec);
  write_task(task, path, 14);
  return spec.labels;
}

void write_video_backbone(const std::string& json_path, const std::string& weights_path) {
  std::ofstream(json_path) << tiny(3, 2).to_json();
  sdk::VideoModelSpec spec;
  spec.backbone = tiny(3, 2);
  sdk::VideoTask task(spec);
  models::randomize_for_checks(task.model(), 15);
  task.model().eval();
  sdk::write_weights(weights_path, task.deploy_state());
}

}  // namespace unirep::testing
