#include "sdk/tasks/task_recipe.h"

#include "models/io/atomic_file.h"
#include "models/backbone/state_dict.h"
#include "sdk/backbone_loader.h"
#include "sdk/distributed/sync_batchnorm.h"
#include "sdk/tasks/train_settings.h"

#include <ATen/ATen.h>

#include <filesystem>
#include <stdexcept>

namespace unirep::sdk {
namespace {

// The options of the run, defaults included, next to the model it made (docs/training.md, "The
// output folder"): what a later reader needs to know how a model was trained.
void write_run_config(const std::string& task, const Settings& s, const std::string& output_dir) {
  io::AtomicFile file(output_dir + "/run_config.json");
  file.write("{\"task\": \"" + task + "\", \"options\": " + s.to_json() + "}\n");
  file.commit();
}

}  // namespace

PreprocessedInput TaskRecipe::preprocess(const std::string&, const Settings&) const {
  throw std::invalid_argument("task '" + name() + "' has no per-file input to preprocess");
}

// "3 x 224 x 224"
std::string shape_text(const at::Tensor& t) {
  std::string out;
  for (int64_t d = 0; d < t.dim(); ++d) out += (d ? " x " : "") + std::to_string(t.size(d));
  return out;
}

void refuse_standard_input(const std::string& file, const std::string& task) {
  if (file == "-")
    throw std::invalid_argument("file: '-' (standard input) is read for points and images; give " + task +
                                " as a file");
}

std::vector<Option> model_options() {
  Option strict =
      flag_option("strict", true, "Every key of --weights must fit the model (else: load what fits, note the rest)");
  strict.flag = "non-strict", strict.negated = true;
  strict.flag_help = "Load the keys of --weights that fit and note the rest instead of failing";
  return {text_option("model", "", "Variant (a, f, p, n, t, s, b, l, xl) or a JSON config file"),
          file_option("weights", "Initial weights: .pth (torch.save) or .safetensors, train or deploy structure"),
          strict, number_option("drop_path", 0.0, "Drop path rate of the backbone", 0, 0.999)};
}

Option precision_option() {
  return text_option("precision", "fp32",
                     "fp32, or bf16: bfloat16 matrix products with float32 sums on the fast path (needs AVX512-BF16 "
                     "or AMX)",
                     {"fp32", "bf16"});
}

InferenceSettings inference_settings(const Settings& s) {
  InferenceSettings settings;
  settings.precision = models::parse_precision(s.text("precision"));
  return settings;
}

std::vector<Option> data_options() {
  Option augment = flag_option("augment", true, "Augment the training data (the task's augmentations)");
  augment.flag = "no-augment", augment.negated = true;
  augment.flag_help = "No augmentation of the training data";
  Option data = text_option(
      "data", "",
      "Training data: a folder or a CSV of path,label (audio: a folder per class, Speech Commands layout; image, "
      "video: ImageNet layout train/ val/ test/ or class folders; points: ModelNet-style)");
  data.required = true;
  return {data, augment};
}

std::map<std::string, double> TaskRecipe::test(const Settings&, const std::string&, const TrainOptions&,
                                               const CountCallback&) const {
  return {};
}

std::vector<Option> TaskRecipe::training_options() const {
  auto model = model_options();
  model[0].required = needs_model();
  return merge_options(merge_options(options(), model), train_option_list(training_defaults()));
}

TrainingRun TaskRecipe::train(const Settings& s, const TrainingCallbacks& cb) const {
  s.require(name());
  auto t = read_train_options(s, training_defaults());
  // LibTorch seeds its default generator non-deterministically; the initialization follows the seed.
  at::manual_seed(t.seed);
  auto prepared = prepare(s, t, cb.note);
  if (cb.communicator && cb.sync_batchnorm) convert_sync_batchnorm(prepared.task->model(), *cb.communicator);
  Trainer trainer(*prepared.task, t, cb.communicator);
  trainer.set_progress(cb.progress);
  TrainingRun run;
  run.result = trainer.fit(prepared.train, prepared.validation);
  const bool writer = !cb.communicator || cb.communicator->rank() == 0;
  if (!writer || t.output_dir.empty()) return run;
  write_run_config(name(), s, t.output_dir);
  const std::string best = t.output_dir + "/best_deploy.safetensors";
  if (std::filesystem::exists(best)) run.model_file = best;
  if (prepared.test && !run.result.interrupted && !run.model_file.empty())
    for (const auto& [k, v] : test(s, best, t, cb.test_progress)) run.test["test_" + k] = v;
  return run;
}

void load_initial_weights(torch::nn::Module& model, const std::string& weights, std::optional<size_t> head_classes,
                          bool strict, const NoteCallback& note) {
  const auto report = models::load_state_dict(model, read_weights(weights), head_classes ? false : strict);
  if (head_classes) {
    for (const auto* names : {&report.missing, &report.mismatched})
      for (const auto& n : *names)
        if (n.rfind("head.", 0) != 0) throw std::invalid_argument(weights + ": does not fit the model (" + n + ")");
    if (!report.mismatched.empty() && note)
      note(weights + ": new head for " + std::to_string(*head_classes) + " classes");
    return;
  }
  if (!report.clean() && note) note("initial weights: skipped keys\n" + report.describe());
}

}  // namespace unirep::sdk
