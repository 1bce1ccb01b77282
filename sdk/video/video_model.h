#pragma once
// A video classifier as one file (kind "video_classifier"): the deploy-structure backbone with its
// head, the labels, and the clip settings (frames, sampling rate, size, normalization), so
// `classify-video --model-file` needs nothing else. The network is the plain backbone classifier on
// the reshaped clip (video_transform.h): the official video model is exactly that (docs/video.md;
// its default layout is B widths with depths 3-3-27-3 and last-stage kernel 11, `video_b_layout()`).
#include "modalities/video/video_transform.h"
#include "models/backbone/backbone_config.h"
#include "sdk/model_file.h"
#include "sdk/train/task.h"

#include <string>
#include <vector>

namespace unirep::sdk {

inline constexpr const char* kVideoClassifierKind = "video_classifier";

struct VideoModelSpec {
  models::BackboneConfig backbone;
  std::vector<std::string> labels;
  modalities::VideoTransformOptions transform;
};

// The official Kinetics layout (docs/reference.md, Video): dims 128-256-512-1024, depths 3-3-27-3,
// kernels 3 / 13 / (13, 3, 3) x 9 / 11, 3 input channels.
models::BackboneConfig video_b_layout(int64_t num_classes = 400);

std::string video_task_json(const VideoModelSpec& spec);
VideoModelSpec video_model_spec(const ModelFile& file);  // throws std::invalid_argument when malformed

class VideoTask : public BackboneClassifier {
 public:
  explicit VideoTask(VideoModelSpec spec, double drop_path_rate = 0.0);
  std::map<std::string, std::string> deploy_metadata() override;
  const VideoModelSpec& spec() const { return spec_; }

 private:
  VideoModelSpec spec_;
};

}  // namespace unirep::sdk
