#include "point_task_setup.h"
#include "task_support.h"

#include <unirep/models/backbone_config.h>
#include <unirep/sdk/progress.h>

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <cstdio>

namespace unirep::cli {
namespace pts = modalities::points;

void PointTaskOptions::add_to(CLI::App& app) {
  app.add_option("--points-per-shape", points, "points: N after farthest point sampling (default 1024; the paper: 4096)")
      ->check(CLI::PositiveNumber);
  app.add_option("--image-size", image_size, "points: projected image size, a multiple of 7 (default 56; the paper: 224)")
      ->check(CLI::PositiveNumber);
  app.add_option("--views", views, "points: projected views (default 4)")->check(CLI::PositiveNumber);
  app.add_option("--neighbours", neighbours, "points: k of the kNN edge features (default 16; the paper: 32)")->check(CLI::PositiveNumber);
  app.add_option("--graph-dim", graph_dim, "points: per-point feature width (default 32; the paper: 64)")->check(CLI::PositiveNumber);
  app.add_option("--fusion-dim", fusion_dim, "points: multi-view transformer width (default 64; the paper: 128)")->check(CLI::PositiveNumber);
  app.add_flag("--modelnet-axes", modelnet_axes, "points: ModelNet's axis convention (x, y, z) <- (-z, -x, y)");
}

PointTraining build_point_training(const PointTaskOptions& o, const std::string& model, double drop_path, uint64_t seed) {
  if (o.data.empty()) throw std::invalid_argument("train points needs --data (a ModelNet-style folder or a CSV)");
  auto list = pts::list_point_dataset(o.data);
  sdk::points::PointModelSpec spec;
  spec.backbone = models::resolve_config(model);
  spec.backbone.in_chans = 3;
  spec.labels = list.labels;
  // The paper's sizes (224 px, 64/128 wide, k 32, 8 heads of 128) are options; the defaults are
  // scaled so training fits a CPU (heads follow the fusion width: 4 heads of fusion_dim / 2).
  spec.projection.num_views(o.views).image_size(o.image_size).neighbours(o.neighbours).graph_dim(o.graph_dim)
      .fusion_dim(o.fusion_dim).heads(4).head_dim(std::max<int64_t>(8, o.fusion_dim / 2)).mlp_dim(2 * o.fusion_dim);
  spec.input.points = o.points;
  spec.input.modelnet_axes = o.modelnet_axes;
  PointTraining t;
  t.task = std::make_unique<sdk::points::PointTask>(spec, drop_path);
  t.train = std::make_shared<sdk::points::PointDataset>(list.train, spec.input, /*augment=*/true, seed);
  if (!list.test.empty()) t.test = std::make_shared<sdk::points::PointDataset>(list.test, spec.input, /*augment=*/false, seed, 0);
  std::fprintf(stderr, "point data: %zu classes, %zu train, %zu test shapes; %lld points, %lld views of %lld x %lld\n",
               list.labels.size(), list.train.size(), list.test.size(), (long long)o.points, (long long)o.views,
               (long long)o.image_size, (long long)o.image_size);
  return t;
}

ClassifierEvaluation evaluate_point_model(const std::string& model_file, const std::string& data, bool all_rotations,
                                          const std::string& report_path) {
  auto clf = sdk::points::PointClassifier::load(model_file);
  auto list = pts::list_point_dataset(data);
  auto items = list.test.empty() ? list.train : list.test;
  const auto to_model = map_labels_by_name(list.labels, clf.spec().labels, data);
  for (auto& item : items) item.label = to_model[static_cast<size_t>(item.label)];
  sdk::points::PointDataset ds(items, clf.spec().input, false);
  ReportFile report_file(report_path);
  ClassifierEvaluation out;
  out.report.emplace(clf.spec().labels);
  size_t correct_avg = 0;  // top-1 (rotation 0) is counted by the report
  double loss = 0;
  sdk::Progress progress("evaluate", static_cast<int64_t>(items.size()), "shape");
  for (size_t i = 0; i < items.size(); ++i) {
    const auto p = ds.points(i);
    // Rotation 0 is the first of the 8 test rotations, so one batch gives both scores.
    const auto per_rotation = all_rotations ? clf.rotation_probabilities(p) : clf.probabilities(p, false).unsqueeze(0);
    const auto probs = per_rotation[0];
    const int64_t label = items[i].label;
    out.report->add(static_cast<int>(label), static_cast<int>(probs.argmax().item<int64_t>()));
    loss -= std::log(std::max(probs[label].item<double>(), 1e-12));
    if (all_rotations) correct_avg += per_rotation.mean(0).argmax().item<int64_t>() == label;
    progress.update(static_cast<int64_t>(i + 1));
  }
  progress.finish();
  out.metrics = {{"shapes", static_cast<double>(items.size())},
                 {"top1", out.report->overall().percent()},
                 {"loss", loss / static_cast<double>(items.size())}};
  if (all_rotations) out.metrics["top1_rotation_average"] = 100.0 * static_cast<double>(correct_avg) / static_cast<double>(items.size());
  report_file.write(*out.report);
  return out;
}

}  // namespace unirep::cli
