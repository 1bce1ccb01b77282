#include <unirep/sdk/train/trainer.h>

#include "earlier_run_files.h"
#include "option_problem.h"

#include <unirep/io/atomic_file.h>
#include <unirep/io/format_error.h>
#include <unirep/io/safetensors.h>
#include <unirep/io/signal_cleanup.h>
#include <unirep/io/torch_checkpoint.h>
#include <unirep/models/state_dict.h>
#include <unirep/sdk/progress.h>
#include <unirep/sdk/train/data_loader.h>
#include <unirep/sdk/train/ema.h>
#include <unirep/sdk/train/lr_schedule.h>
#include <unirep/sdk/train/metrics.h>

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>
#include <torch/nn/utils/clip_grad.h>
#include <torch/types.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace unirep::sdk::train {
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
  if (ckpt_path.empty()) left = "nothing was saved (no output directory)";
  else if (std::filesystem::exists(ckpt_path)) left = "last good checkpoint kept in " + ckpt_path;
  else left = "no checkpoint was written yet (none is written before the first epoch ends)";
  throw NonFiniteTraining(where + "; " + left + ". Lower the learning rate, clip gradients, or check the data.");
}

}  // namespace

void Trainer::install_interrupt_handler() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}
void Trainer::request_stop() { g_stop.store(1); }

void apply_options_json(TrainOptions& o, const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(source + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw std::invalid_argument(source + ": training options must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& k = it.key();
    const auto& v = it.value();
    try {
      if (k == "epochs") o.epochs = v.get<int64_t>();
      else if (k == "batch_size") o.batch_size = v.get<size_t>();
      else if (k == "workers") o.workers = v.get<int>();
      else if (k == "seed") o.seed = v.get<uint64_t>();
      else if (k == "drop_last") o.drop_last = v.get<bool>();
      else if (k == "lr") o.lr = v.get<double>();
      else if (k == "min_lr") o.min_lr = v.get<double>();
      else if (k == "warmup_lr") o.warmup_lr = v.get<double>();
      else if (k == "warmup_epochs") o.warmup_epochs = v.get<double>();
      else if (k == "optimizer") o.optimizer.kind = parse_optimizer(v.get<std::string>());
      else if (k == "weight_decay") o.optimizer.weight_decay = v.get<double>();
      else if (k == "layer_decay") o.optimizer.layer_decay = v.get<double>();
      else if (k == "momentum") o.optimizer.momentum = v.get<double>();
      else if (k == "betas") o.optimizer.beta1 = v.at(0).get<double>(), o.optimizer.beta2 = v.at(1).get<double>();
      else if (k == "clip_grad") o.clip_grad = v.get<double>();
      else if (k == "loss") o.loss = parse_loss(v.get<std::string>());
      else if (k == "label_smoothing") o.label_smoothing = v.get<double>();
      else if (k == "ema_decay") o.ema_decay = v.get<double>();
      else if (k == "bf16") o.bf16 = v.get<bool>();
      else if (k == "trainable_stages") o.trainable_stages = v.get<int>();
      else if (k == "output_dir") o.output_dir = v.get<std::string>();
      else if (k == "resume") o.resume = v.get<bool>();
      else if (k == "patience") o.patience = v.get<int>();
      else if (k == "monitor") o.monitor = v.get<std::string>();
      else if (k == "max_steps") o.max_steps = v.get<int64_t>();
      else throw std::invalid_argument(source + ": unknown training option '" + k + "'");
    } catch (const nlohmann::json::exception&) {
      throw std::invalid_argument(source + ": option '" + k + "' has the wrong type");
    }
  }
  if (const auto p = detail::find_option_problem(o))
    throw std::invalid_argument(source + ": option '" + p->json_key + "' must be " + p->rule + ", got " + p->value);
}

Trainer::Trainer(Task& task, TrainOptions options, Communicator* comm)
    : task_(task), options_(std::move(options)), comm_(comm) {
  check_train_options(options_);
  if (options_.monitor.empty()) options_.monitor = task_.classification() ? "top1" : "loss";
}

std::map<std::string, double> Trainer::evaluate(const Dataset& data) {
  auto& model = task_.model();
  const bool was_training = model.is_training();
  model.eval();
  MetricAccumulator metrics(task_.classification());
  {
    torch::NoGradGuard no_grad;
    for (const auto& indices : epoch_batches(data.size(), options_.batch_size, 0, SamplerOptions{false, 0, false, 0, 1})) {
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
  namespace fs = std::filesystem;
  // A stop requested from here on counts: reset before the (possibly slow) resume, not after it.
  g_stop.store(0);
  const int rank = comm_ ? comm_->rank() : 0, world = comm_ ? comm_->world_size() : 1;
  const bool writer = rank == 0 && !options_.output_dir.empty();
  if (writer) fs::create_directories(options_.output_dir);
  const std::string ckpt_path = options_.output_dir.empty() ? "" : options_.output_dir + "/checkpoint.pth";
  auto& model = task_.model();

  // Freezing, then the optimizer over what stays trainable.
  for (auto& p : model.named_parameters()) p.value().set_requires_grad(trainable_under_freeze(p.key(), options_.trainable_stages));
  Optimizer optimizer(make_param_groups(model, options_.optimizer), options_.optimizer);
  std::vector<at::Tensor> trainable;
  for (const auto& g : optimizer.groups()) trainable.insert(trainable.end(), g.params.begin(), g.params.end());

  DataLoaderOptions lo;
  lo.batch_size = options_.batch_size;
  lo.workers = options_.workers;
  lo.sampler = SamplerOptions{true, options_.seed, options_.drop_last, rank, world};
  DataLoader loader(train, lo);
  const int64_t steps_per_epoch = static_cast<int64_t>(loader.batches_per_epoch());
  if (steps_per_epoch == 0) throw std::invalid_argument("the training set gives no batch (fewer examples than the batch size?)");
  LrSchedule schedule{options_.lr, options_.min_lr, options_.warmup_lr,
                      static_cast<int64_t>(options_.warmup_epochs * steps_per_epoch), options_.epochs * steps_per_epoch};
  std::unique_ptr<WeightEma> ema;

  // Resume, or start fresh from rank 0's weights.
  Snapshot s;
  const bool resuming = options_.resume && !ckpt_path.empty() && fs::exists(ckpt_path);
  if (resuming) {
    // A checkpoint.pth left by another model, an older unirep or a plain weights file must fail
    // with the way out, not crash on a missing key or half-restore the run: every step of the
    // restore is inside the one try.
    try {
      const auto ck = io::read_torch_checkpoint(ckpt_path);
      auto need = [&](const char* key) -> const io::PyValue& {
        const auto* v = ck.find(key);
        if (!v) throw std::runtime_error(std::string("no '") + key + "' entry: not a unirep training checkpoint");
        return *v;
      };
      const auto weights = models::extract_state_dict(ck, ckpt_path);
      models::check_finite(weights, ckpt_path);
      models::load_state_dict(model, weights);
      optimizer.load_state_dict(need("optimizer"));
      s.epoch = need("epoch").as_int();
      s.step = need("step").as_int();
      s.batch_in_epoch = need("batch_in_epoch").as_int();
      s.bad_epochs = need("bad_epochs").as_int();
      if (const auto* b = ck.find("best_metric"); b && !b->is_none()) s.has_best = true, s.best = b->as_float();
      if (const auto* r = ck.find("rng_cpu")) {
        at::Generator gen = at::detail::getDefaultCPUGenerator();  // a handle to the global generator
        gen.set_state(r->as_tensor().contiguous());
      }
      if (options_.ema_decay > 0) {
        ema = std::make_unique<WeightEma>(model, options_.ema_decay);
        if (const auto* e = ck.find("ema"); e && e->is_dict()) ema->load(models::extract_state_dict(*e, ckpt_path));
      }
    } catch (const std::exception& e) {
      // A file reader's message starts with the path again; say it once.
      const auto* format = dynamic_cast<const io::FormatError*>(&e);
      throw ResumeError(ckpt_path, format ? format->problem() : std::string(e.what()));
    }
    if (rank == 0) std::fprintf(stderr, "resumed from %s at epoch %lld, step %lld\n", ckpt_path.c_str(), (long long)s.epoch, (long long)s.step);
  } else {
    at::manual_seed(options_.seed);
  }
  if (comm_ && world > 1) {
    auto tensors = models::state_dict(model);
    std::vector<at::Tensor> ts;
    for (auto& nt : tensors) ts.push_back(nt.tensor);
    comm_->broadcast(ts, 0);
    // Each rank draws its own drop-path masks, like independent GPUs in PyTorch DDP.
    at::manual_seed(options_.seed * 7919 + rank + s.step);
  }
  if (!ema && options_.ema_decay > 0) ema = std::make_unique<WeightEma>(model, options_.ema_decay);
  // A fresh run over an earlier run's files: all or nothing (docs/training.md, "The output folder").
  std::optional<EarlierRunFiles> earlier;
  if (writer && !resuming) earlier.emplace(options_.output_dir);

  // Where the weights stand, for messages: "epoch 3 step 120" (both counted from 1).
  auto position = [&] { return "epoch " + std::to_string(s.epoch + 1) + " step " + std::to_string(s.step); };
  // Every rank checks (the weights are the same everywhere), so all stop together.
  auto require_finite_weights = [&] {
    if (!all_finite(models::state_dict(model)) || (ema && !all_finite(ema->state())))
      diverged(position() + ": the weights became NaN or infinite", ckpt_path);
  };
  auto export_model = [&] {
    auto deploy = task_.deploy_state();
    if (!all_finite(deploy)) diverged(position() + ": the weights became NaN or infinite", ckpt_path);
    io::write_safetensors(options_.output_dir + "/best_deploy.safetensors", deploy, task_.deploy_metadata());
  };
  auto save_checkpoint = [&] {
    require_finite_weights();
    if (!writer) return;
    auto root = io::PyValue::dict();
    root.set("model", io::state_dict_value(models::state_dict(model)));
    root.set("optimizer", optimizer.state_dict());
    root.set("epoch", io::PyValue::integer(s.epoch));
    root.set("step", io::PyValue::integer(s.step));
    root.set("batch_in_epoch", io::PyValue::integer(s.batch_in_epoch));
    root.set("bad_epochs", io::PyValue::integer(s.bad_epochs));
    root.set("best_metric", s.has_best ? io::PyValue::floating(s.best) : io::PyValue::none());
    root.set("rng_cpu", io::PyValue::tensor(at::detail::getDefaultCPUGenerator().get_state()));
    if (ema) root.set("ema", io::state_dict_value(ema->state()));
    io::write_torch_checkpoint(ckpt_path, root);
  };

  const bool lower_is_better = options_.monitor == "loss" || options_.monitor == "mse" || options_.monitor == "mae";
  TrainResult result;
  int64_t samples = 0;
  double train_seconds = 0;
  std::vector<at::Tensor> flags = {at::zeros({2})};  // [stop requested, loss not finite], summed over ranks
  for (; s.epoch < options_.epochs; ++s.epoch) {
    model.train();
    loader.start_epoch(s.epoch, static_cast<size_t>(s.batch_in_epoch));
    Progress progress("epoch " + std::to_string(s.epoch + 1) + "/" + std::to_string(options_.epochs), steps_per_epoch, "batch");
    double loss_sum = 0;
    int64_t loss_count = 0;
    const auto t0 = std::chrono::steady_clock::now();
    while (auto batch = loader.next()) {
      const double lr = schedule.at(s.step);
      at::Tensor out;
      {
        at::autocast::set_cpu_enabled(options_.bf16);
        at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
        out = task_.forward(batch->input);
        at::autocast::set_cpu_enabled(false);
        at::autocast::clear_cache();
      }
      auto loss = compute_loss(options_.loss, out.to(at::kFloat), batch->target, options_.label_smoothing);
      const double loss_value = loss.item<double>();
      optimizer.zero_grad();
      loss.backward();
      if (comm_ && world > 1) average_gradients(trainable, *comm_);
      if (options_.clip_grad > 0) torch::nn::utils::clip_grad_norm_(trainable, options_.clip_grad);
      optimizer.step(lr);
      if (ema) ema->update(model);
      ++s.step;
      ++s.batch_in_epoch;
      // Every rank stops at the same step: the stop request and a non-finite loss on any rank are
      // agreed on collectively. A NaN step only spoils the weights in memory: nothing is saved
      // after it.
      bool stop = g_stop.load() > 0 || (options_.max_steps >= 0 && s.step >= options_.max_steps);
      bool loss_bad = !std::isfinite(loss_value), bad_elsewhere = false;
      if (comm_ && world > 1) {
        flags[0][0] = stop ? 1.0 : 0.0;
        flags[0][1] = loss_bad ? 1.0 : 0.0;
        comm_->allreduce_sum(flags);
        stop = flags[0][0].item<double>() > 0;
        bad_elsewhere = !loss_bad && flags[0][1].item<double>() > 0;
      }
      if (loss_bad) diverged(position() + ": loss is " + number_text(loss_value), ckpt_path);
      if (bad_elsewhere) diverged(position() + ": the loss is not finite on another process", ckpt_path);
      samples += batch->input.size(0);
      loss_sum += loss_value;
      ++loss_count;
      if (options_.progress && rank == 0) {
        char status[64];
        std::snprintf(status, sizeof status, "loss %.4f lr %.2e", loss_sum / loss_count, lr);
        progress.update(s.batch_in_epoch, status);
      }
      if (stop) {
        train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (options_.progress && rank == 0) progress.finish("stopped");
        save_checkpoint();
        result.interrupted = g_stop.load() > 0;
        result.steps = s.step;
        result.samples_per_second = train_seconds > 0 ? samples / train_seconds : 0;
        if (writer && result.interrupted) std::fprintf(stderr, "stopped; resumable checkpoint in %s\n", ckpt_path.c_str());
        if (earlier) earlier->release();
        return result;
      }
    }
    train_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    s.batch_in_epoch = 0;
    require_finite_weights();  // before this epoch's evaluation, export, metrics line or checkpoint
    std::map<std::string, double> metrics = {{"train_loss", loss_count ? loss_sum / loss_count : 0.0}};
    if (val) {
      for (const auto& [k, v] : evaluate(*val)) {
        if (!std::isfinite(v)) diverged(position() + ": validation " + k + " is " + number_text(v), ckpt_path);
        metrics["val_" + k] = v;
      }
      const double current = metrics.at("val_" + options_.monitor);
      const bool improved = !s.has_best || (lower_is_better ? current < s.best : current > s.best);
      if (improved) {
        s.has_best = true;
        s.best = current;
        s.bad_epochs = 0;
        if (writer) export_model();
      } else {
        ++s.bad_epochs;
      }
    }
    if (!val && writer) export_model();  // without a validation set, the latest model is the best we know
    if (options_.progress && rank == 0) {
      std::ostringstream status;
      for (const auto& [k, v] : metrics) status << k << " " << v << "  ";
      progress.finish(status.str());
    }
    if (writer) append_line(options_.output_dir + "/metrics.jsonl", json_line(metrics, s.epoch + 1, s.step, schedule.at(s.step)));
    result.last_eval = metrics;
    result.epochs_completed = s.epoch + 1;
    if (options_.patience > 0 && s.bad_epochs >= options_.patience) {
      result.early_stopped = true;
      ++s.epoch;
      save_checkpoint();
      break;
    }
    ++s.epoch;  // the checkpoint says where to continue
    save_checkpoint();
    --s.epoch;
  }
  result.steps = s.step;
  result.best_metric = s.best;
  result.samples_per_second = train_seconds > 0 ? samples / train_seconds : 0;
  if (comm_ && world > 1) comm_->barrier();
  if (earlier) earlier->release();
  return result;
}

}  // namespace unirep::sdk::train
