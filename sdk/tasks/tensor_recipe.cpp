// The task on raw .npy tensors: N x C x H x W float inputs with int64 class labels or float N x K
// soft / multi-hot targets, and the backbone's own classification head.
#include "models/io/format_error.h"
#include "models/io/npy.h"
#include "models/backbone/backbone_config.h"
#include "models/backbone/state_dict.h"
#include "sdk/backbone_loader.h"
#include "sdk/tasks/task_recipe.h"
#include "sdk/tasks/train_settings.h"

#include <ATen/ATen.h>

namespace unirep::sdk {
namespace {

std::shared_ptr<TensorDataset> load_tensors(const std::string& inputs, const std::string& labels) {
  auto x = io::read_npy(inputs);
  auto y = io::read_npy(labels);
  if (x.dim() != 4) throw io::FormatError(inputs, "inputs must be N x C x H x W");
  if (!x.is_floating_point()) throw io::FormatError(inputs, "inputs must be float32 or float64");
  if (y.dim() < 1 || y.size(0) != x.size(0))
    throw io::FormatError(labels, "labels must have one row per input (" + std::to_string(x.size(0)) + ")");
  if (y.dim() == 1 && y.is_floating_point()) throw io::FormatError(labels, "class labels must be integers (int64)");
  // The data set refuses NaN inputs and negative labels naming these files (docs/training.md, Bad values).
  return std::make_shared<TensorDataset>(x.to(at::kFloat), y.dim() == 1 ? y.to(at::kLong) : y.to(at::kFloat),
                                         TensorSources{inputs, labels});
}

// The class count: the model's given one, the width of soft targets, else the largest label + 1
// for a named variant (a JSON config keeps its own).
int64_t class_count(const Settings& s, const TensorDataset& data, models::BackboneConfig config) {
  if (s.given("num_classes")) return s.integer("num_classes");
  const auto first = data.get(0);
  if (first.target.dim() == 1) return first.target.size(0);
  if (!models::is_variant_name(s.text("model"))) return config.num_classes;
  int64_t max_label = -1;
  for (size_t i = 0; i < data.size(); ++i) max_label = std::max(max_label, data.get(i).target.item<int64_t>());
  return max_label + 1;
}

Option num_classes_option() {
  Option o = integer_option("num_classes", 0, "Classes of a named variant (default: from the labels)", 0, 1e6);
  o.default_value = "";
  return o;
}

class TensorRecipe : public TaskRecipe {
 public:
  std::string name() const override { return "tensors"; }
  std::string description() const override { return "Classify or regress raw .npy tensors (N x C x H x W)"; }

  std::vector<Option> options() const override {
    Option model = model_options()[0];
    model.required = true;
    return {model,
            file_option("inputs", "Training inputs .npy (N x C x H x W)", true),
            file_option("labels", "Training labels .npy (int64 N, or float N x K)", true),
            file_option("val_inputs", "Validation inputs .npy"),
            file_option("val_labels", "Validation labels .npy"),
            num_classes_option()};
  }

  PreparedTraining prepare(const Settings& s, TrainOptions&, const NoteCallback& note) const override {
    if (s.given("val_inputs") != s.given("val_labels"))
      throw std::invalid_argument("tensors: option 'val_inputs' and option 'val_labels' go together");
    auto data = load_tensors(s.text("inputs"), s.text("labels"));
    std::shared_ptr<TensorDataset> val;
    if (s.given("val_inputs")) val = load_tensors(s.text("val_inputs"), s.text("val_labels"));
    auto config = models::resolve_config(s.text("model"));
    config.in_chans = data->get(0).input.size(0);
    config.num_classes = class_count(s, *data, config);
    data->require_classes(config.num_classes);
    if (val) val->require_classes(config.num_classes);
    auto task =
        std::make_unique<BackboneClassifier>(models::UniRepLKNetOptions(config).drop_path_rate(s.number("drop_path")));
    if (s.given("weights"))
      load_initial_weights(task->model(), s.text("weights"), std::nullopt, s.flag("strict"), note);
    return {std::move(task), data, val, nullptr};
  }

  std::vector<Option> evaluation_options() const override {
    Option model = model_options()[0];
    model.required = true;
    Option weights = model_options()[1];
    weights.required = true;
    return {model,
            weights,
            file_option("inputs", "Inputs .npy", true),
            file_option("labels", "Labels .npy", true),
            text_option("loss", "ce", "Loss reported", {"ce", "soft_ce", "bce", "mse", "mae"}),
            integer_option("batch_size", 32, "Batch size", 1, 1e9)};
  }

  Evaluation evaluate(const Settings& s, const CountCallback&) const override {
    s.require(name());
    BackboneSpec spec;
    spec.model = s.text("model");
    spec.weights = s.text("weights");
    auto loaded = load_backbone(spec);
    auto data = load_tensors(s.text("inputs"), s.text("labels"));
    BackboneClassifier task(models::UniRepLKNetOptions(loaded.model->config()).deploy(loaded.model->deployed()));
    models::load_state_dict(task.model(), models::state_dict(*loaded.model));
    TrainOptions t;
    t.batch_size = static_cast<size_t>(s.integer("batch_size"));
    t.loss = parse_loss(s.text("loss"));
    Trainer trainer(task, t);
    return Evaluation{trainer.evaluate(*data), std::nullopt};
  }
};

}  // namespace

const TaskRecipe& tensor_recipe() {
  static const TensorRecipe recipe;
  return recipe;
}

}  // namespace unirep::sdk
