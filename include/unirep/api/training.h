#pragma once
// Train or fine-tune a model from an app: any task the SDK knows ("tensors", "audio", "image",
// "video", "points"), on the app's data, with progress reported to a callback that can also stop
// the run. A run writes the same files as `unirep train` into options["output_dir"]:
// checkpoint.pth (resumable: the same call continues it), metrics.jsonl, run_config.json and the
// model, best_deploy.safetensors, which the classifiers of this API load.
//
//   unirep::TrainingResult r = unirep::train("audio", {{"data", "keywords/"}, {"model", "a"},
//                                                      {"output_dir", "run/"}, {"epochs", "5"}},
//                                            [](const unirep::TrainingProgress& p) { ...; return true; });
//   unirep::AudioClassifier spotter(r.model_file);
//
// The options are those of `unirep train TASK` with the flag's dashes as underscores
// (training_options lists them); docs/api.md, "Training" has the table.
#include <unirep/api/export.h>
#include <unirep/api/runtime_options.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace unirep {

struct TrainingProgress {
  enum class Event {
    kStep,      // after each optimizer step: epoch, batch, loss, lr, samples_per_second
    kEpochEnd,  // after each epoch's validation: metrics (train_loss, val_top1, ...)
    kResumed,   // continuing the checkpoint in output_dir: message
    kStopped,   // stopped by the callback, a signal or max_steps: message
    kNote,      // one line about the data or the model ("audio data: 10 labels, ...")
    kTesting,   // scoring the model on the test split: batch of batches examples
  };
  Event event = Event::kStep;
  int64_t epoch = 0, epochs = 0;   // counted from 1
  int64_t batch = 0, batches = 0;  // in this epoch (kTesting: examples scored, of all)
  int64_t step = 0;                // optimizer steps in total
  double loss = 0, lr = 0, samples_per_second = 0;
  std::map<std::string, double> metrics;
  std::string message;
};

// Called on the calling thread. Return false to stop after the current step; the checkpoint is
// saved and the same train() call later continues from it.
using TrainingCallback = std::function<bool(const TrainingProgress&)>;

struct TrainingResult {
  int64_t epochs_completed = 0, steps = 0;
  bool stopped = false;                      // by the callback or a signal, resumable
  bool early_stopped = false;                // patience ran out
  std::map<std::string, double> validation;  // the last epoch's metrics
  std::map<std::string, double> test;        // the model on the task's test split: test_top1, ...
  std::string model_file;                    // the trained model ("" when stopped before one)
};

struct TrainingOption {
  std::string key;            // "epochs"
  std::string type;           // "integer", "number", "flag", "text", "file", "folder"
  std::string default_value;  // as text; "" = none
  std::string help;
  bool required = false;
};

// The tasks train() knows.
UNIREP_API std::vector<std::string> training_tasks();
// Every option of `task`, in the order `unirep train TASK --help` lists them.
UNIREP_API std::vector<TrainingOption> training_options(const std::string& task);

// Trains `task`. Options are text ("5", "0.001", "true"), checked like the CLI's flags: an
// unknown key, a value out of range or a missing required option is an Error(kInvalidArgument)
// naming the key. runtime.threads sets the CPU threads (0: all cores). Training that diverges
// (a NaN loss) is an Error(kInvalidArgument) and keeps the last good checkpoint.
UNIREP_API TrainingResult train(const std::string& task, const std::map<std::string, std::string>& options,
                                const TrainingCallback& progress = {}, const RuntimeOptions& runtime = {});
// The same, with the options as one JSON object ({"epochs": 5, "data": "keywords/"}).
UNIREP_API TrainingResult train_json(const std::string& task, const std::string& options_json,
                                     const TrainingCallback& progress = {}, const RuntimeOptions& runtime = {});

}  // namespace unirep
