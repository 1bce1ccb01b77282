#pragma once
// `unirep train points` / `unirep evaluate points`: datasets and model for point-cloud
// classification, built from command-line options (the engine is shared, see cmd_train.cpp).
#include <unirep/sdk/points/point_dataset.h>
#include <unirep/sdk/points/point_model.h>

#include "classifier_evaluation.h"

#include <CLI/CLI.hpp>

#include <map>
#include <memory>
#include <string>

namespace unirep::cli {

struct PointTaskOptions {
  std::string data;  // ModelNet-style folder or CSV of path,label
  int64_t points = 1024, image_size = 56, views = 4, neighbours = 16, graph_dim = 32, fusion_dim = 64;
  bool modelnet_axes = false;
  void add_to(CLI::App& app);
};

struct PointTraining {
  std::unique_ptr<sdk::points::PointTask> task;
  std::shared_ptr<sdk::points::PointDataset> train, test;
};

PointTraining build_point_training(const PointTaskOptions& o, const std::string& model, double drop_path, uint64_t seed);

// Accuracy, loss and the per-class report of a model file on a dataset's test split (or all of a
// CSV) under test rotation 0; with `all_rotations`, also the accuracy of scores averaged over the 8
// test rotations. `report_path` non-empty: the report (rotation 0) as JSON, written only when complete.
ClassifierEvaluation evaluate_point_model(const std::string& model_file, const std::string& data, bool all_rotations,
                                          const std::string& report_path = "");

}  // namespace unirep::cli
