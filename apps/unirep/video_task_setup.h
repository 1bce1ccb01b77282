#pragma once
// `unirep train video` / `unirep evaluate video`: a video folder (ImageNet layout, class folders,
// or a CSV) and a backbone classifier on the reshaped clips. --size, --scale-min and --hflip are
// shared with the image task.
#include <unirep/sdk/video/video_dataset.h>
#include <unirep/sdk/video/video_model.h>

#include "classifier_evaluation.h"

#include <CLI/CLI.hpp>

#include <map>
#include <memory>
#include <string>

namespace unirep::cli {

struct VideoTaskOptions {
  int64_t frames = 16, sampling_rate = 4;
  void add_to(CLI::App& app);
};

struct VideoTraining {
  std::unique_ptr<sdk::video::VideoTask> task;
  std::shared_ptr<sdk::video::VideoDataset> train, validation, test;
};

// `model` empty: the reference's Kinetics layout (video_b_layout). `weights`: initial weights
// (head replaced when the class count differs).
VideoTraining build_video_training(const VideoTaskOptions& o, int size, double scale_min, double hflip, const std::string& data,
                                   bool augment, const std::string& model, const std::string& weights, double drop_path, uint64_t seed);

// Top-1 / top-5, loss and the per-class report of a model file on a split ("test", else
// "validation", else "train"), with 1 view or the 15 test views. `report_path` non-empty: the
// report as JSON, written only when complete.
ClassifierEvaluation evaluate_video_model(const std::string& model_file, const std::string& data, const std::string& split,
                                          int views, const std::string& report_path = "");

}  // namespace unirep::cli
