#pragma once
// A task the SDK can train and evaluate (docs/architecture.md, "Tasks"): its options, how it
// builds the model and the data sets from a data folder, its training defaults, how it scores a
// model file, and what it exports. The CLI's train and evaluate commands and the public training
// API all go through the registry of these (task_registry.h); adding a task is one recipe.
#include "sdk/inference_backbone.h"
#include "sdk/tasks/settings.h"
#include "sdk/train/classification_report.h"
#include "sdk/train/communicator.h"
#include "sdk/train/dataset.h"
#include "sdk/train/task.h"
#include "sdk/train/trainer.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace unirep::sdk {

// One line for a person ("audio data: 10 labels, 2400 train clips ..."); the SDK prints nothing.
using NoteCallback = std::function<void(const std::string&)>;
// Work done of a known total (examples scored).
using CountCallback = std::function<void(int64_t done, int64_t total)>;

struct PreparedTraining {
  std::unique_ptr<Task> task;
  std::shared_ptr<const Dataset> train, validation, test;
};

// A model file scored on labelled data: the metrics ("top1", "loss", the example count, ...) and,
// for a single-label classifier, where it goes wrong (per class, confusions, per group).
struct Evaluation {
  std::map<std::string, double> metrics;
  std::optional<ClassificationReport> report;
  std::string group_kind = "group";  // what report groups are: "speaker" for audio
};

struct TrainingCallbacks {
  ProgressCallback progress;             // steps and epochs; returning false stops resumably
  NoteCallback note;                     // data summaries, new heads, resumes
  CountCallback test_progress;           // scoring the test split after training
  Communicator* communicator = nullptr;  // data-parallel training (docs/distributed.md)
  bool sync_batchnorm = false;
};

// What the model reads for one file, made as evaluation makes it (`unirep preprocess TASK FILE`).
struct PreprocessedInput {
  at::Tensor tensor;
  std::string summary;  // its shape for a person: "3 x 224 x 224", "48 frames; 3 x 896 x 896"
};

struct TrainingRun {
  TrainResult result;
  std::map<std::string, double> test;  // "test_top1", ...: the exported model on the test split
  std::string model_file;              // the exported model ("" when none was written)
};

class TaskRecipe {
 public:
  virtual ~TaskRecipe() = default;
  virtual std::string name() const = 0;         // "audio"
  virtual std::string description() const = 0;  // one line

  // This task's own training options (its data, preprocessing, augmentation, model shape). A key
  // several tasks share means the same in each.
  virtual std::vector<Option> options() const = 0;
  // Whether training needs a backbone layout (model); video has a default one.
  virtual bool needs_model() const { return true; }
  // Where this task's training defaults differ from TrainOptions{}.
  virtual TrainOptions training_defaults() const { return {}; }
  // The model and the data sets. May adjust `t` to the data (e.g. a multi-label loss).
  virtual PreparedTraining prepare(const Settings& s, TrainOptions& t, const NoteCallback& note) const = 0;
  // After a completed run: the exported model scored on the prepared test split.
  virtual std::map<std::string, double> test(const Settings& s, const std::string& model_file, const TrainOptions& t,
                                             const CountCallback& progress) const;
  // Every option of a training run: this task's, the model's, then the engine's.
  virtual std::vector<Option> training_options() const;
  // Prepares, trains with the shared engine (resumable, into t.output_dir) and tests.
  virtual TrainingRun train(const Settings& s, const TrainingCallbacks& callbacks) const;

  // The options of preprocess(); none: the task has no per-file input (tensors, timeseries).
  virtual std::vector<Option> preprocess_options() const { return {}; }
  // One file as the model's input tensor. `file` "-" is standard input where the format allows it.
  virtual PreprocessedInput preprocess(const std::string& file, const Settings& s) const;

  virtual std::vector<Option> evaluation_options() const = 0;
  virtual Evaluation evaluate(const Settings& s, const CountCallback& progress) const = 0;
};

// The options every backbone task takes: model, weights, strict, drop_path, data, augment.
std::vector<Option> model_options();
// A tensor's sizes for a person: "3 x 224 x 224".
std::string shape_text(const at::Tensor& t);
// For tasks whose decoders need a seekable file (audio, video): "-" (standard input) is refused.
void refuse_standard_input(const std::string& file, const std::string& task);
std::vector<Option> data_options();
// The option "precision" (fp32 | bf16) of scoring a model file, and the inference settings it gives.
Option precision_option();
InferenceSettings inference_settings(const Settings& s);

// Loads `weights` into `model` to start from (fine-tuning). With `head_classes`, a head of another
// class count is left new (a note says so) and any other key that is missing or does not fit is
// an error naming the file; without, `strict` as in models::load_state_dict, skipped keys noted.
void load_initial_weights(torch::nn::Module& model, const std::string& weights, std::optional<size_t> head_classes,
                          bool strict, const NoteCallback& note);

}  // namespace unirep::sdk
