#include "sdk/train/trainer.h"

#include "models/backbone/recompute.h"
#include "sdk/fair_threads.h"

#include "earlier_run_files.h"
#include "option_problem.h"

#include "models/io/atomic_file.h"
#include "models/io/format_error.h"
#include "models/io/safetensors.h"
#include "models/io/signal_cleanup.h"
#include "models/io/torch_checkpoint.h"
#include "models/backbone/state_dict.h"
#include "models/backbone/training_ops.h"
#include "models/fast/fast_training_ops.h"
#include "sdk/train/data_loader.h"
#include "sdk/train/ema.h"
#include "sdk/train/lr_schedule.h"
#include "sdk/train/metrics.h"

#include <ATen/ATen.h>
#include <cstdio>
#include <ATen/autocast_mode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>
#include <torch/nn/utils/clip_grad.h>
#include <torch/types.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace unirep::sdk {
namespace {

std::atomic<int> g_stop{0};

void on_signal(int) {
  // Second Ctrl-C: leave now, without a half-written checkpoint beside the last good one.
  if (g_stop.fetch_add(1) >= 1) {
    io::remove_outputs_now();
    std::_Exit(130);
  }
}

// Gradients are averaged in flat buckets of about 16 MB: one collective per bucket instead of
// one per parameter.
void average_gradients(const std::vector<at::Tensor>& params, Communicator& comm) {
  const int64_t bucket_bytes = 16 << 20;
  std::vector<at::Tensor> bucket;
  int64_t bytes = 0;
  auto flush = [&] {
    if (bucket.empty()) return;
    std::vector<at::Tensor> grads;
    for (auto& p : bucket) grads.push_back(p.grad().reshape({-1}));
    std::vector<at::Tensor> flat = {at::cat(grads)};
    comm.allreduce_sum(flat);
    flat[0].div_(comm.world_size());
    int64_t offset = 0;
    for (auto& p : bucket) {
      const auto n = p.grad().numel();
      p.mutable_grad().copy_(flat[0].slice(0, offset, offset + n).view_as(p.grad()));
      offset += n;
    }
    bucket.clear();
    bytes = 0;
  };
  for (const auto& p : params) {
    if (!p.grad().defined()) continue;
    bucket.push_back(p);
    bytes += p.grad().numel() * p.grad().element_size();
    if (bytes >= bucket_bytes) flush();
  }
  flush();
}

std::string json_line(const std::map<std::string, double>& values, int64_t epoch, int64_t step, double lr) {
  nlohmann::ordered_json j;
  j["epoch"] = epoch;
  j["step"] = step;
  j["lr"] = lr;
  for (const auto& [k, v] : values) j[k] = v;
  return j.dump();
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::app);
  out << line << "\n";
  out.flush();
  if (!out) throw std::runtime_error(path + ": cannot append to the metrics log");
}

struct Snapshot {
  int64_t epoch = 0, step = 0, batch_in_epoch = 0, bad_epochs = 0;
  bool has_best = false;
  double best = 0.0;
};

bool all_finite(const io::NamedTensors& tensors) {
  for (const auto& nt : tensors)
    if (nt.tensor.is_floating_point() && !at::isfinite(nt.tensor).all().item<bool>()) return false;
  return true;
}

// "nan" for every NaN (a stream writes "-nan" for one with the sign bit set).
std::string number_text(double v) {
  if (std::isnan(v)) return "nan";
  std::ostringstream s;
  s << v;
  return s.str();
}

// Divergence stops the run before anything non-finite reaches a file (docs/training.md, "Bad
// values"); the message says where it happened and what is left on disk.
[[noreturn]] void diverged(const std::string& where, const std::string& ckpt_path) {
  std::string left;
  if (ckpt_path.empty())
    left = "nothing was saved (no output directory)";
  else if (std::filesystem::exists(ckpt_path))
    left = "last good checkpoint kept in " + ckpt_path;
  else
    left = "no checkpoint was written yet (none is written before the first epoch ends)";
  throw NonFiniteTraining(where + "; " + left + ". Lower the learning rate, clip gradients, or check the data.");
}

// Freezing (TrainOptions::trainable_stages), then the optimizer's groups over what stays trainable.
std::vector<ParamGroup> freeze_and_group(torch::nn::Module& model, const TrainOptions& o) {
  for (auto& p : model.named_parameters())
    p.value().set_requires_grad(trainable_under_freeze(p.key(), o.trainable_stages));
  return make_param_groups(model, o.optimizer);
}

DataLoaderOptions loader_options(const TrainOptions& o, int rank, int world) {
  DataLoaderOptions lo;
  lo.batch_size = o.batch_size;
  lo.workers = o.workers;
  lo.sampler = SamplerOptions{true, o.seed, o.drop_last, rank, world};
  return lo;
}

// The running figures of the epoch in progress, in this process; its clock starts when it is made.
struct EpochTally {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  double loss_sum = 0, lr = 0;  // lr: of the latest step
  double seconds = 0;           // the epoch's training time, once its last step is done
  int64_t loss_count = 0, samples = 0;

  void add(int64_t batch_samples, double loss, double step_lr) {
    samples += batch_samples;
    loss_sum += loss;
    ++loss_count;
    lr = step_lr;
  }
  double mean_loss() const { return loss_count ? loss_sum / loss_count : 0.0; }
  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); }
};

// One fit() call: what it carries from step to step, and its steps by name. Only rank 0 reports
// progress; only the writer (rank 0 with an output folder) writes files.
class TrainingRun {
 public:
  TrainingRun(Trainer& trainer, Task& task, const TrainOptions& options, Communicator* comm,
              const ProgressCallback& callback, std::shared_ptr<const Dataset> train,
              std::shared_ptr<const Dataset> val)
      : trainer_(trainer),
        task_(task),
        options_(options),
        comm_(comm),
        callback_(callback),
        val_(std::move(val)),
        rank_(comm ? comm->rank() : 0),
        world_(comm ? comm->world_size() : 1),
        writer_(rank_ == 0 && !options.output_dir.empty()),
        ckpt_path_(prepare_output_dir()),
        model_(task.model()),
        optimizer_(freeze_and_group(model_, options), options.optimizer),
        trainable_(trainable_params(optimizer_)),
        loader_(std::move(train), loader_options(options, rank_, world_)),
        steps_per_epoch_(static_cast<int64_t>(loader_.batches_per_epoch())),
        schedule_{options.lr, options.min_lr, options.warmup_lr,
                  static_cast<int64_t>(options.warmup_epochs * steps_per_epoch_), options.epochs * steps_per_epoch_},
        resuming_(options.resume && !ckpt_path_.empty() && std::filesystem::exists(ckpt_path_)),
        lower_is_better_(options.monitor == "loss" || options.monitor == "mse" || options.monitor == "mae") {
    if (steps_per_epoch_ == 0)
      throw std::invalid_argument("the training set gives no batch (fewer examples than the batch size?)");
    models::set_training_ops(model_, options.path == TrainingPath::Fast
                                         ? std::make_shared<models::FastTrainingOps>(options.precision)
                                         : nullptr);
    if (options.adapt_threads) fair_threads_.emplace(at::get_num_threads());
    models::set_activation_recomputation(model_, options.recompute);
  }

  TrainResult run() {
    start();
    while (s_.epoch < options_.epochs) {
      const auto tally = train_one_epoch();
      if (!tally) return result_;  // stopped
      if (end_epoch(*tally)) break;
    }
    return finish();
  }

  // fit() failed: a fresh run puts the earlier run's files back and says so as a Note; an error
  // from the callback is dropped so that fit() throws the training error (docs/training.md, "The
  // output folder").
  void put_back_earlier_files() noexcept {
    if (!earlier_) return;
    try {
      TrainProgress note;
      note.event = TrainProgress::Event::Note;
      note.message = earlier_->put_back();
      if (!note.message.empty()) report(note);
    } catch (...) {
    }
  }

 private:
  std::string prepare_output_dir() const {
    if (writer_) std::filesystem::create_directories(options_.output_dir);
    return options_.output_dir.empty() ? "" : options_.output_dir + "/checkpoint.pth";
  }
  static std::vector<at::Tensor> trainable_params(const Optimizer& optimizer) {
    std::vector<at::Tensor> out;
    for (const auto& g : optimizer.groups()) out.insert(out.end(), g.params.begin(), g.params.end());
    return out;
  }
  bool distributed() const { return comm_ && world_ > 1; }
  bool stop_requested() const { return g_stop.load() > 0 || cancelled_; }
  bool max_steps_reached() const { return options_.max_steps >= 0 && s_.step >= options_.max_steps; }
  double throughput() const { return train_seconds_ > 0 ? samples_ / train_seconds_ : 0; }
  // Where the weights stand, for messages: "epoch 3 step 120" (both counted from 1).
  std::string position() const { return "epoch " + std::to_string(s_.epoch + 1) + " step " + std::to_string(s_.step); }

  // Resume, or start fresh from rank 0's weights.
  void start() {
    if (resuming_)
      resume_from_checkpoint();
    else
      at::manual_seed(options_.seed);
    if (distributed()) broadcast_initial_weights();
    if (!ema_ && options_.ema_decay > 0) ema_ = std::make_unique<WeightEma>(model_, options_.ema_decay);
    // A fresh run over an earlier run's files: all or nothing (docs/training.md, "The output folder").
    if (writer_ && !resuming_) earlier_.emplace(options_.output_dir);
  }

  void resume_from_checkpoint() {
    // A checkpoint.pth left by another model, an older unirep or a plain weights file must fail
    // with the way out, not crash on a missing key or half-restore the run: every step of the
    // restore is inside the one try.
    try {
      const auto ck = io::read_torch_checkpoint(ckpt_path_);
      auto need = [&](const char* key) -> const io::PyValue& {
        const auto* v = ck.find(key);
        if (!v) throw std::runtime_error(std::string("no '") + key + "' entry: not a unirep training checkpoint");
        return *v;
      };
      const auto weights = models::extract_state_dict(ck, ckpt_path_);
      models::check_finite(weights, ckpt_path_);
      models::load_state_dict(model_, weights);
      optimizer_.load_state_dict(need("optimizer"));
      s_.epoch = need("epoch").as_int();
      s_.step = need("step").as_int();
      s_.batch_in_epoch = need("batch_in_epoch").as_int();
      s_.bad_epochs = need("bad_epochs").as_int();
      if (const auto* b = ck.find("best_metric"); b && !b->is_none()) s_.has_best = true, s_.best = b->as_float();
      if (const auto* r = ck.find("rng_cpu")) {
        at::Generator gen = at::detail::getDefaultCPUGenerator();  // a handle to the global generator
        gen.set_state(r->as_tensor().contiguous());
      }
      if (options_.ema_decay > 0) {
        ema_ = std::make_unique<WeightEma>(model_, options_.ema_decay);
        if (const auto* e = ck.find("ema"); e && e->is_dict()) ema_->load(models::extract_state_dict(*e, ckpt_path_));
      }
    } catch (const std::exception& e) {
      // A file reader's message starts with the path again; say it once.
      const auto* format = dynamic_cast<const io::FormatError*>(&e);
      throw ResumeError(ckpt_path_, format ? format->problem() : std::string(e.what()));
    }
    auto resumed = progress(TrainProgress::Event::Resumed, EpochTally{}, 0.0);
    resumed.message =
        "resumed from " + ckpt_path_ + " at epoch " + std::to_string(s_.epoch) + ", step " + std::to_string(s_.step);
    if (!report(resumed)) cancelled_ = true;
  }

  void broadcast_initial_weights() {
    std::vector<at::Tensor> tensors;
    for (auto& nt : models::state_dict(model_)) tensors.push_back(nt.tensor);
    comm_->broadcast(tensors, 0);
    // Each rank draws its own drop-path masks, like independent GPUs in PyTorch DDP.
    at::manual_seed(options_.seed * 7919 + rank_ + s_.step);
  }

  // One pass over the training set (from where a resumed run left off): the epoch's figures, or
  // nothing when the run stopped in it (the checkpoint is saved and result_ is final).
  std::optional<EpochTally> train_one_epoch() {
    model_.train();
    loader_.start_epoch(s_.epoch, static_cast<size_t>(s_.batch_in_epoch));
    EpochTally tally;  // the epoch's clock starts once its batches are under way
    while (auto batch = loader_.next()) {
      if (train_step(*batch, tally)) {
        stop_mid_epoch(tally);
        return std::nullopt;
      }
    }
    tally.seconds = tally.elapsed();
    train_seconds_ += tally.seconds;
    samples_ += tally.samples;
    s_.batch_in_epoch = 0;
    return tally;
  }

  // Gives way to other busy processes (sdk/fair_threads.h), with a note when the count changes.
  void adapt_threads() {
    const int was = fair_threads_->current(), now = fair_threads_->update();
    if (now == was) return;
    TrainProgress note;
    note.event = TrainProgress::Event::Note;
    char load[32];
    std::snprintf(load, sizeof load, "%.1f", fair_threads_->others_busy_cores());
    note.message = "threads " + std::to_string(was) + " -> " + std::to_string(now) + ": other processes keep " + load +
                   " cores busy (--no-adapt-threads keeps the count)";
    report(note);
  }

  // One optimizer step on `batch`; true when every rank agreed to stop after it.
  bool train_step(const Batch& batch, EpochTally& tally) {
    if (fair_threads_) adapt_threads();
    const double lr = schedule_.at(s_.step);
    optimizer_.zero_grad();
    const double loss_value = accumulate_gradients(batch);
    if (distributed()) average_gradients(trainable_, *comm_);
    if (options_.clip_grad > 0) torch::nn::utils::clip_grad_norm_(trainable_, options_.clip_grad);
    optimizer_.step(lr);
    if (ema_) ema_->update(model_);
    ++s_.step;
    ++s_.batch_in_epoch;
    const bool loss_bad = !std::isfinite(loss_value);
    // The callback hears of the step before the vote, so that its answer stops this very step.
    if (!loss_bad) {
      tally.add(batch.input.size(0), loss_value, lr);
      if (!report(progress(TrainProgress::Event::Step, tally, tally.elapsed()))) cancelled_ = true;
    }
    return agree_to_stop(loss_bad, loss_value);
  }

  // Forward and backward of `batch` in options_.accumulate micro-batches, each loss weighted by its
  // share of the batch, so the summed gradients are those of the batch's mean loss; returns that loss.
  double accumulate_gradients(const Batch& batch) {
    const int64_t n = batch.input.size(0), parts = std::min<int64_t>(options_.accumulate, n);
    double loss_value = 0;
    for (int64_t part = 0; part < parts; ++part) {
      const int64_t begin = n * part / parts, end = n * (part + 1) / parts;
      at::Tensor out;
      {
        at::autocast::set_cpu_enabled(options_.bf16);
        at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
        out = task_.forward(parts == 1 ? batch.input : batch.input.slice(0, begin, end));
        at::autocast::set_cpu_enabled(false);
        at::autocast::clear_cache();
      }
      const auto target = parts == 1 ? batch.target : batch.target.slice(0, begin, end);
      auto loss = compute_loss(options_.loss, out.to(at::kFloat), target, options_.label_smoothing) *
                  (static_cast<double>(end - begin) / static_cast<double>(n));
      loss_value += loss.item<double>();
      loss.backward();
    }
    return loss_value;
  }

  // Every rank stops at the same step: a stop request (Ctrl-C, the progress callback), max_steps
  // and a non-finite loss on any rank are agreed on collectively. A NaN step only spoils the
  // weights in memory: nothing is saved after it.
  bool agree_to_stop(bool loss_bad, double loss_value) {
    bool stop = stop_requested() || max_steps_reached();
    bool bad_elsewhere = false;
    if (distributed()) {
      flags_[0][0] = stop ? 1.0 : 0.0;
      flags_[0][1] = loss_bad ? 1.0 : 0.0;
      comm_->allreduce_sum(flags_);
      stop = flags_[0][0].item<double>() > 0;
      bad_elsewhere = !loss_bad && flags_[0][1].item<double>() > 0;
    }
    if (loss_bad) diverged(position() + ": loss is " + number_text(loss_value), ckpt_path_);
    if (bad_elsewhere) diverged(position() + ": the loss is not finite on another process", ckpt_path_);
    return stop;
  }

  // The run stops after a step: a resumable checkpoint, the result so far, the Stopped event.
  void stop_mid_epoch(const EpochTally& tally) {
    const double seconds = tally.elapsed();
    train_seconds_ += seconds;
    samples_ += tally.samples;
    save_checkpoint();
    // A stop that max_steps does not explain was asked for, here or on another rank.
    result_.interrupted = stop_requested() || !max_steps_reached();
    result_.steps = s_.step;
    result_.samples_per_second = throughput();
    auto stopped = progress(TrainProgress::Event::Stopped, tally, seconds);
    if (writer_ && result_.interrupted) stopped.message = "stopped; resumable checkpoint in " + ckpt_path_;
    report(stopped);
    if (earlier_) earlier_->release();
  }

  // After the epoch's last step: validation, the best model's export, the metrics line and the
  // checkpoint. Returns true when early stopping ends the run.
  bool end_epoch(const EpochTally& tally) {
    require_finite_weights();  // before this epoch's evaluation, export, metrics line or checkpoint
    std::map<std::string, double> metrics = {{"train_loss", tally.mean_loss()}};
    if (val_)
      validate(metrics);
    else if (writer_)
      export_model();  // without a validation set, the latest model is the best we know
    auto ended = progress(TrainProgress::Event::EpochEnd, tally, tally.seconds);
    ended.batch = steps_per_epoch_;
    ended.lr = schedule_.at(s_.step);
    ended.metrics = metrics;
    if (!report(ended)) cancelled_ = true;
    if (writer_)
      append_line(options_.output_dir + "/metrics.jsonl",
                  json_line(metrics, s_.epoch + 1, s_.step, schedule_.at(s_.step)));
    result_.last_eval = metrics;
    result_.epochs_completed = s_.epoch + 1;
    const bool early_stop = options_.patience > 0 && s_.bad_epochs >= options_.patience;
    if (early_stop) result_.early_stopped = true;
    ++s_.epoch;  // the checkpoint says where to continue
    save_checkpoint();
    return early_stop;
  }

  // Adds val_* to `metrics`; an improvement on the monitored one exports the model.
  void validate(std::map<std::string, double>& metrics) {
    for (const auto& [k, v] : trainer_.evaluate(*val_)) {
      if (!std::isfinite(v)) diverged(position() + ": validation " + k + " is " + number_text(v), ckpt_path_);
      metrics["val_" + k] = v;
    }
    const double current = metrics.at("val_" + options_.monitor);
    const bool improved = !s_.has_best || (lower_is_better_ ? current < s_.best : current > s_.best);
    if (!improved) {
      ++s_.bad_epochs;
      return;
    }
    s_.has_best = true;
    s_.best = current;
    s_.bad_epochs = 0;
    if (writer_) export_model();
  }

  TrainResult finish() {
    result_.steps = s_.step;
    result_.best_metric = s_.best;
    result_.samples_per_second = throughput();
    if (distributed()) comm_->barrier();
    if (earlier_) earlier_->release();
    return result_;
  }

  // Every rank checks (the weights are the same everywhere), so all stop together.
  void require_finite_weights() {
    if (!all_finite(models::state_dict(model_)) || (ema_ && !all_finite(ema_->state())))
      diverged(position() + ": the weights became NaN or infinite", ckpt_path_);
  }

  void export_model() {
    auto deploy = task_.deploy_state();
    if (!all_finite(deploy)) diverged(position() + ": the weights became NaN or infinite", ckpt_path_);
    io::write_safetensors(options_.output_dir + "/best_deploy.safetensors", deploy, task_.deploy_metadata());
  }

  void save_checkpoint() {
    require_finite_weights();
    if (!writer_) return;
    auto root = io::PyValue::dict();
    root.set("model", io::state_dict_value(models::state_dict(model_)));
    root.set("optimizer", optimizer_.state_dict());
    root.set("epoch", io::PyValue::integer(s_.epoch));
    root.set("step", io::PyValue::integer(s_.step));
    root.set("batch_in_epoch", io::PyValue::integer(s_.batch_in_epoch));
    root.set("bad_epochs", io::PyValue::integer(s_.bad_epochs));
    root.set("best_metric", s_.has_best ? io::PyValue::floating(s_.best) : io::PyValue::none());
    root.set("rng_cpu", io::PyValue::tensor(at::detail::getDefaultCPUGenerator().get_state()));
    if (ema_) root.set("ema", io::state_dict_value(ema_->state()));
    io::write_torch_checkpoint(ckpt_path_, root);
  }

  // An event with where the run stands and the epoch's figures over `seconds` of training.
  TrainProgress progress(TrainProgress::Event event, const EpochTally& tally, double seconds) const {
    TrainProgress p;
    p.event = event;
    p.epoch = s_.epoch + 1;
    p.epochs = options_.epochs;
    p.batch = s_.batch_in_epoch;
    p.batches = steps_per_epoch_;
    p.step = s_.step;
    p.loss = tally.mean_loss();
    p.lr = tally.lr;
    p.seconds = seconds;
    p.samples_per_second = seconds > 0 ? tally.samples / seconds : 0;
    return p;
  }

  // The callback's answer; true on other ranks and without a callback (docs/training.md, "Progress
  // and cancelling").
  bool report(const TrainProgress& p) const { return rank_ != 0 || !callback_ || callback_(p); }

  Trainer& trainer_;
  Task& task_;
  const TrainOptions& options_;
  Communicator* comm_;
  const ProgressCallback callback_;  // a copy: set_progress() during fit() does not change this run
  std::shared_ptr<const Dataset> val_;
  const int rank_, world_;
  const bool writer_;
  const std::string ckpt_path_;
  torch::nn::Module& model_;
  Optimizer optimizer_;
  std::vector<at::Tensor> trainable_;
  DataLoader loader_;
  const int64_t steps_per_epoch_;
  const LrSchedule schedule_;
  const bool resuming_, lower_is_better_;
  std::unique_ptr<WeightEma> ema_;
  std::optional<FairThreads> fair_threads_;  // with options.adapt_threads
  std::optional<EarlierRunFiles> earlier_;
  Snapshot s_;
  bool cancelled_ = false;  // the callback asked to stop
  TrainResult result_;
  int64_t samples_ = 0;
  double train_seconds_ = 0;
  std::vector<at::Tensor> flags_ = {at::zeros({2})};  // [stop requested, loss not finite], summed over ranks
};

}  // namespace

void Trainer::install_interrupt_handler() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}
void Trainer::request_stop() {
  g_stop.store(1);
}

Trainer::Trainer(Task& task, TrainOptions options, Communicator* comm)
    : task_(task), options_(std::move(options)), comm_(comm) {
  check_train_options(options_);
  if (options_.precision == models::Precision::BFloat16 && options_.path != TrainingPath::Fast)
    throw std::invalid_argument(
        "option 'precision' bf16 runs on the fast training path; with option 'path' reference, use option 'bf16' "
        "(autocast)");
  if (options_.bf16 && options_.recompute)
    throw std::invalid_argument(
        "option 'recompute' does not combine with option 'bf16' (autocast): the recomputation would run outside "
        "autocast; use option 'precision' bf16 instead");
  models::check_precision_supported(options_.precision);
  if (options_.monitor.empty()) options_.monitor = task_.classification() ? "top1" : "loss";
}

void Trainer::set_progress(ProgressCallback callback) {
  progress_ = std::move(callback);
}

std::map<std::string, double> Trainer::evaluate(const Dataset& data) {
  auto& model = task_.model();
  const bool was_training = model.is_training();
  model.eval();
  MetricAccumulator metrics(task_.classification());
  {
    torch::NoGradGuard no_grad;
    for (const auto& indices :
         epoch_batches(data.size(), options_.batch_size, 0, SamplerOptions{false, 0, false, 0, 1})) {
      std::vector<Example> examples;
      for (auto i : indices) examples.push_back(data.get(i));
      auto batch = collate(examples, indices);
      auto out = task_.forward(batch.input).to(at::kFloat);
      const double loss = compute_loss(options_.loss, out, batch.target, 0.0).item<double>();
      metrics.add(out, batch.target, loss);
    }
  }
  model.train(was_training);
  return metrics.result();
}

TrainResult Trainer::fit(std::shared_ptr<const Dataset> train, std::shared_ptr<const Dataset> val) {
  // A stop requested from here on counts: reset before the (possibly slow) resume, not after it.
  g_stop.store(0);
  TrainingRun run(*this, task_, options_, comm_, progress_, std::move(train), std::move(val));
  try {
    return run.run();
  } catch (...) {
    run.put_back_earlier_files();
    throw;
  }
}

}  // namespace unirep::sdk
