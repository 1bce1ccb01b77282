#pragma once
// The training engine: give it a task (model + forward), datasets and options; it runs the
// epochs, evaluates, logs, checkpoints (atomically, resumable), exports the best model fused, and
// stops cleanly on Ctrl-C. With a Communicator it trains data-parallel: rank 0's initial weights
// are broadcast, gradients are averaged after each backward, and only rank 0 writes files. It prints
// nothing: progress goes to the callback given to set_progress (docs/training.md, "Progress and
// cancelling").
#include "models/fast/precision.h"
#include "sdk/train/communicator.h"
#include "sdk/train/dataset.h"
#include "sdk/train/losses.h"
#include "sdk/train/optimizer.h"
#include "sdk/train/task.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace unirep::sdk {

enum class TrainingPath { Fast, Reference };

struct TrainOptions {
  int64_t epochs = 10;
  size_t batch_size = 32;  // per process
  // Each batch runs as this many micro-batches (batch_size / accumulate examples at a time), their
  // gradients summed before the one optimizer step: the memory of the micro-batch, the step of the
  // whole batch (batch norms see each micro-batch's statistics, as in any gradient accumulation).
  int64_t accumulate = 1;
  // Recompute each backbone stage's activations in the backward pass instead of keeping them:
  // about a third more time per step for the memory of one stage (models/backbone/recompute.h).
  bool recompute = false;
  int workers = 2;  // loader threads
  // Give way under contention: while other processes keep cores busy, run on the cores left free
  // (at least one, at most the threads set when training starts; sdk/fair_threads.h). The count
  // then changes with the machine's load, and with it the order of float sums: off for bitwise
  // repeatable runs.
  bool adapt_threads = true;
  uint64_t seed = 0;
  bool drop_last = true;

  double lr = 1e-3, min_lr = 1e-6, warmup_lr = 0.0;
  double warmup_epochs = 0.0;
  OptimizerOptions optimizer;
  double clip_grad = 0.0;  // max gradient norm; 0: off
  LossKind loss = LossKind::CrossEntropy;
  double label_smoothing = 0.0;
  double ema_decay = 0.0;  // 0: off
  bool bf16 = false;       // bfloat16 autocast on CPU for the forward pass
  // Fast: the backbone's costliest train-structure ops on oneDNN and fused kernels with hand-written
  // backward passes (docs/performance.md, "Training path"); Reference: LibTorch autograd alone.
  TrainingPath path = TrainingPath::Fast;
  // BFloat16 (fast path only): the backbone's GEMMs take bfloat16 operands and sum in float32;
  // weights, gradients, optimizer state and every reduction stay float32. Needs AVX512-BF16 or AMX.
  models::Precision precision = models::Precision::Float32;
  int trainable_stages = -1;  // freezing: -1 everything, 0 head only, N head + last N stages

  std::string output_dir;  // checkpoint.pth, metrics.jsonl, best_deploy.safetensors
  bool resume = true;      // continue from output_dir/checkpoint.pth when it exists
  int patience = 0;        // early stopping after this many epochs without improvement; 0: off
  std::string monitor;     // metric for "best": default top1 (classification) or loss
  int64_t max_steps = -1;  // stop after this many optimizer steps in total (tests, smoke runs)
};

// std::invalid_argument naming the field when a setting is out of range or not finite
// ("TrainOptions.lr must be a finite number > 0, got nan"): a NaN learning rate, decay or
// smoothing makes the first step turn every weight into NaN. Trainer's constructor calls it.
void check_train_options(const TrainOptions& options);

struct TrainResult {
  int64_t epochs_completed = 0;
  int64_t steps = 0;
  bool interrupted = false;
  bool early_stopped = false;
  double best_metric = 0.0;
  std::map<std::string, double> last_eval;
  double samples_per_second = 0.0;  // training throughput of this process over the run
};

// Training stops with this error at the first step whose loss is NaN or infinite, and before a
// checkpoint or model export would store weights or validation metrics that are not finite:
// "epoch 3 step 120: loss is nan; last good checkpoint kept in run/checkpoint.pth". Nothing
// non-finite is ever written, so the checkpoint of the last good epoch stays intact.
class NonFiniteTraining : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The output folder's checkpoint.pth cannot be continued (another model's, an older unirep's, a
// plain weights file). what() gives the SDK's way out (TrainOptions::resume = false); the CLI says
// its own flag instead, from checkpoint() and reason().
class ResumeError : public std::runtime_error {
 public:
  ResumeError(std::string checkpoint, std::string reason)
      : std::runtime_error("cannot resume from " + checkpoint + ": " + reason +
                           ". It was written for another model or by an older unirep: delete it, or start over with "
                           "TrainOptions::resume = false."),
        checkpoint_(std::move(checkpoint)),
        reason_(std::move(reason)) {}
  const std::string& checkpoint() const { return checkpoint_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string checkpoint_, reason_;
};

// What a run reports to its ProgressCallback (docs/training.md, "Progress and cancelling").
struct TrainProgress {
  // Resumed: once, after a checkpoint was restored. Step: after each optimizer step. EpochEnd: after
  // the epoch's validation and export, with `metrics`. Stopped: the run stops after a step, before
  // its epochs are done (Ctrl-C, the callback, max_steps), once the checkpoint is saved. Note:
  // something a person should know, e.g. that a failed fresh run put the earlier run's files back.
  enum class Event { Resumed, Step, EpochEnd, Stopped, Note };
  Event event = Event::Step;
  int64_t epoch = 0, epochs = 0;          // epoch counted from 1, of `epochs`
  int64_t batch = 0, batches = 0;         // batches done in this epoch, of `batches` per epoch
  int64_t step = 0;                       // optimizer steps in total
  double loss = 0, lr = 0;                // running mean training loss of this epoch; current lr
  double samples_per_second = 0;          // this process, this epoch so far
  double seconds = 0;                     // Step, EpochEnd, Stopped: training time of this epoch so far
  std::map<std::string, double> metrics;  // EpochEnd: train_loss, val_* ...
  std::string message;                    // Resumed / Stopped / Note: one line for a person
};

// Called on rank 0 only, on the training thread. Returning false asks the run to stop after the
// current step with a resumable checkpoint (like Ctrl-C); TrainResult::interrupted is then true.
// A false from Resumed or EpochEnd stops the run after the next step; from Stopped or Note it is
// ignored. In data-parallel runs every rank stops at the same step.
using ProgressCallback = std::function<bool(const TrainProgress&)>;

class Trainer {
 public:
  // Throws std::invalid_argument when check_train_options refuses `options`.
  Trainer(Task& task, TrainOptions options, Communicator* comm = nullptr);
  // Throws NonFiniteTraining when training diverges (see above).
  TrainResult fit(std::shared_ptr<const Dataset> train, std::shared_ptr<const Dataset> val = nullptr);
  std::map<std::string, double> evaluate(const Dataset& data);
  // Where fit() reports progress (see ProgressCallback); none set: it runs silently. An exception
  // from the callback ends fit() like any training error, except from a Note reported while fit()
  // is already failing: that one is dropped so the training error is the one thrown.
  void set_progress(ProgressCallback callback);

  // Ctrl-C handling: the first SIGINT/SIGTERM asks the running fit() to stop after the current
  // step and save a resumable checkpoint; a second one ends the process at once.
  static void install_interrupt_handler();
  static void request_stop();

 private:
  Task& task_;
  TrainOptions options_;
  Communicator* comm_;
  ProgressCallback progress_;
};

}  // namespace unirep::sdk
