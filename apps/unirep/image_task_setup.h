#pragma once
// `unirep train image` / `unirep evaluate image`: an image folder (ImageNet layout, class folders,
// or a CSV) and a backbone classifier, optionally fine-tuned from a checkpoint such as the official
// ImageNet ones (the head is replaced when the class count differs).
#include <unirep/sdk/image/image_dataset.h>
#include <unirep/sdk/image/image_model.h>

#include "classifier_evaluation.h"

#include <CLI/CLI.hpp>

#include <map>
#include <memory>
#include <string>

namespace unirep::cli {

struct ImageTaskOptions {
  int size = 224;
  double crop_pct = 0.875;
  double scale_min = 0.08;
  double hflip = 0.5;
  int randaug_ops = 2;
  double randaug_magnitude = 9;
  double mix_prob = 1.0, mixup_alpha = 0.8, cutmix_alpha = 1.0;
  void add_to(CLI::App& app);
};

struct ImageTraining {
  std::unique_ptr<sdk::image::ImageTask> task;
  std::shared_ptr<sdk::image::ImageDataset> train, validation, test;
};

// `weights`: initial weights (.pth or .safetensors, train or deploy structure of the same layout);
// keys other than the head must all fit.
ImageTraining build_image_training(const ImageTaskOptions& o, const std::string& data, bool augment, const std::string& model,
                                   const std::string& weights, double drop_path, uint64_t seed);

// Top-1 / top-5 accuracy, loss and the per-class report of a model file on a split of an image
// dataset ("test", else "validation", else "train" when the layout has only that; "all" for a CSV).
// `report_path` non-empty: the report as JSON, written only when complete.
ClassifierEvaluation evaluate_image_model(const std::string& model_file, const std::string& data, const std::string& split,
                                          size_t batch_size, const std::string& report_path = "");

}  // namespace unirep::cli
