// The point-cloud task: a ModelNet-style folder or a CSV of path,label, projected to multi-view
// images for the backbone (docs/points.md, "Training"). The paper's sizes are options; the
// defaults are scaled so training fits a CPU.
#include "models/backbone/backbone_config.h"
#include "modalities/points/point_file_list.h"
#include "modalities/points/point_input.h"
#include "sdk/points/point_dataset.h"
#include "sdk/points/point_model.h"
#include "sdk/tasks/labelled_files.h"
#include "sdk/tasks/task_recipe.h"

#include <ATen/ATen.h>

#include <cmath>

namespace unirep::sdk {
namespace {

class PointRecipe : public TaskRecipe {
 public:
  std::string name() const override { return "points"; }
  std::string description() const override { return "Recognize point clouds (ModelNet-style folders)"; }

  std::vector<Option> options() const override {
    auto options = data_options();
    Option points =
        integer_option("points", 1024, "Points per shape after farthest point sampling (the paper: 4096)", 1, 1e6);
    points.flag = "points-per-shape";
    options.insert(
        options.end(),
        {points, integer_option("image_size", 56, "Projected image size, a multiple of 7 (the paper: 224)", 1, 4096),
         integer_option("views", 4, "Projected views", 1, 64),
         integer_option("neighbours", 16, "k of the kNN edge features (the paper: 32)", 1, 1024),
         integer_option("graph_dim", 32, "Per-point feature width (the paper: 64)", 1, 4096),
         integer_option("fusion_dim", 64, "Multi-view transformer width (the paper: 128)", 1, 4096),
         flag_option("modelnet_axes", false, "ModelNet's axis convention (x, y, z) <- (-z, -x, y)"),
         flag_option("random_orientation", false,
                     "Augmentation: turn each training cloud by a uniformly random 3-D rotation (data without an up "
                     "axis)"),
         flag_option("isotropic_scale", false,
                     "Augmentation: scale the placement by one factor, not one per axis (keeps proportions)"),
         number_option("jitter", 0.0, "Augmentation: Gaussian noise on the points, sigma in unit-sphere radii", 0, 1),
         number_option("thin", 0.0,
                       "Augmentation: probability of keeping only 10-100% of a cloud's points (sparser scans)", 0, 1),
         number_option("cut", 0.0, "Augmentation: probability of cutting a cloud by a random plane (60-95% kept)", 0,
                       1)});
    return options;
  }

  PreparedTraining prepare(const Settings& s, TrainOptions& t, const NoteCallback& note) const override {
    const auto data = s.text("data");
    auto list = modalities::list_point_dataset(data);
    PointModelSpec spec;
    spec.backbone = models::resolve_config(s.text("model"));
    spec.backbone.in_chans = 3;
    spec.labels = list.labels;
    const int64_t fusion = s.integer("fusion_dim");
    // Heads follow the fusion width: 4 heads of fusion_dim / 2.
    spec.projection.num_views(s.integer("views"))
        .image_size(s.integer("image_size"))
        .neighbours(s.integer("neighbours"))
        .graph_dim(s.integer("graph_dim"))
        .fusion_dim(fusion)
        .heads(4)
        .head_dim(std::max<int64_t>(8, fusion / 2))
        .mlp_dim(2 * fusion);
    spec.input.points = s.integer("points");
    spec.input.modelnet_axes = s.flag("modelnet_axes");
    PreparedTraining p;
    auto task = std::make_unique<PointTask>(spec, s.number("drop_path"));
    if (s.given("weights"))
      load_initial_weights(task->model(), s.text("weights"), std::nullopt, s.flag("strict"), note);
    p.task = std::move(task);
    PointAugmentation extra;
    extra.random_orientation = s.flag("random_orientation");
    extra.isotropic_scale = s.flag("isotropic_scale");
    extra.jitter = s.number("jitter");
    extra.cut = s.number("cut");
    extra.thin = s.number("thin");
    p.train = std::make_shared<PointDataset>(list.train, spec.input, s.flag("augment"), t.seed, 0, extra);
    // No validation split in these layouts: the model of the last epoch is exported, and scored on
    // the test split after training (never used to choose it).
    if (!list.test.empty())
      p.test = std::make_shared<PointDataset>(list.test, spec.input, /*augment=*/false, t.seed, 0);
    const auto side = std::to_string(s.integer("image_size"));
    if (note)
      note("point data: " + std::to_string(list.labels.size()) + " classes, " + std::to_string(list.train.size()) +
           " train, " + std::to_string(list.test.size()) + " test shapes; " + std::to_string(spec.input.points) +
           " points, " + std::to_string(s.integer("views")) + " views of " + side + " x " + side);
    return p;
  }

  std::map<std::string, double> test(const Settings& s, const std::string& model_file, const TrainOptions&,
                                     const CountCallback& progress) const override {
    Settings e(evaluation_options());
    e.set("model_file", model_file);
    e.set("data", s.text("data"));
    e.set("all_rotations", "true");
    return evaluate(e, progress).metrics;
  }

  std::vector<Option> preprocess_options() const override {
    const modalities::PointInputOptions in;
    return {integer_option("points", in.points, "N after farthest point sampling", 1, 1e6),
            integer_option("surface_points", in.surface_points, "Meshes are sampled on the surface first", 1, 1e7),
            flag_option("modelnet_axes", in.modelnet_axes, "ModelNet's axis convention (x, y, z) <- (-z, -x, y)")};
  }

  // The sampled, normalized points (docs/points.md).
  PreprocessedInput preprocess(const std::string& file, const Settings& s) const override {
    modalities::PointInputOptions o;
    o.points = s.integer("points");
    o.surface_points = s.integer("surface_points");
    o.modelnet_axes = s.flag("modelnet_axes");
    auto x = modalities::load_point_input(file, o);
    return {x, std::to_string(x.size(0)) + " x 3 points"};
  }

  std::vector<Option> evaluation_options() const override {
    return {file_option("model_file", "Model file written by training", true),
            text_option("data", "", "Shapes: a ModelNet-style folder or a CSV (its test split, or all of a CSV)"),
            flag_option("all_rotations", false, "Also score the average over the 8 test rotations"),
            precision_option()};
  }

  Evaluation evaluate(const Settings& s, const CountCallback& progress) const override;
};

Evaluation PointRecipe::evaluate(const Settings& s, const CountCallback& progress) const {
  s.require(name());
  const auto data = s.text("data");
  if (data.empty()) throw std::invalid_argument(name() + ": option 'data' is required");
  const bool all_rotations = s.flag("all_rotations");
  auto clf = PointCloudRecognizer::load(s.text("model_file"), inference_settings(s));
  auto list = modalities::list_point_dataset(data);
  auto items = list.test.empty() ? list.train : list.test;
  const auto to_model = map_labels_by_name(list.labels, clf.spec().labels, data);
  for (auto& item : items) item.label = to_model[static_cast<size_t>(item.label)];
  PointDataset ds(items, clf.spec().input, false);
  Evaluation out;
  out.report.emplace(clf.spec().labels);
  size_t correct_avg = 0;  // top-1 (rotation 0) is counted by the report
  double loss = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const auto p = ds.points(i);
    // Rotation 0 is the first of the 8 test rotations, so one batch gives both scores.
    const auto per_rotation = all_rotations ? clf.rotation_probabilities(p) : clf.probabilities(p, false).unsqueeze(0);
    const auto probs = per_rotation[0];
    const int64_t label = items[i].label;
    out.report->add(static_cast<int>(label), static_cast<int>(probs.argmax().item<int64_t>()));
    loss -= std::log(std::max(probs[label].item<double>(), 1e-12));
    if (all_rotations) correct_avg += per_rotation.mean(0).argmax().item<int64_t>() == label;
    if (progress) progress(static_cast<int64_t>(i + 1), static_cast<int64_t>(items.size()));
  }
  const double n = static_cast<double>(items.size());
  out.metrics = {{"shapes", n}, {"top1", out.report->overall().percent()}, {"loss", loss / n}};
  if (all_rotations) out.metrics["top1_rotation_average"] = 100.0 * static_cast<double>(correct_avg) / n;
  return out;
}

}  // namespace

const TaskRecipe& point_recipe() {
  static const PointRecipe recipe;
  return recipe;
}

}  // namespace unirep::sdk
