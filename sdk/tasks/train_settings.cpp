#include "sdk/tasks/train_settings.h"

#include "../train/option_problem.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <type_traits>
#include <functional>

namespace unirep::sdk {
namespace {
std::string optimizer_name(OptimizerKind k) {
  switch (k) {
    case OptimizerKind::AdamW:
      return "adamw";
    case OptimizerKind::Adam:
      return "adam";
    case OptimizerKind::SGD:
      return "sgd";
  }
  return "adamw";
}

std::string loss_name(LossKind k) {
  switch (k) {
    case LossKind::CrossEntropy:
      return "ce";
    case LossKind::SoftTargetCrossEntropy:
      return "soft_ce";
    case LossKind::BCEWithLogits:
      return "bce";
    case LossKind::MSE:
      return "mse";
    case LossKind::MAE:
      return "mae";
  }
  return "ce";
}

// "b1,b2": the two Adam(W) betas (check_train_options checks their range).
void read_betas(TrainOptions& t, const std::string& text) {
  const auto comma = text.find(',');
  char* end1 = nullptr;
  char* end2 = nullptr;
  const double b1 = std::strtod(text.c_str(), &end1);
  const double b2 = comma == std::string::npos ? 0 : std::strtod(text.c_str() + comma + 1, &end2);
  if (comma == std::string::npos || end1 != text.c_str() + comma || !end2 || *end2 != '\0')
    throw std::invalid_argument("option 'betas' must be two numbers b1,b2, got '" + text.substr(0, 40) + "'");
  t.optimizer.beta1 = b1;
  t.optimizer.beta2 = b2;
}

std::string pair_text(double a, double b) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g,%g", a, b);
  return buf;
}

// One row of the table: the option, and how a set value lands in TrainOptions.
struct TrainField {
  Option option;
  std::function<void(TrainOptions&, const Settings&)> apply;
};

template <class T>
std::function<void(TrainOptions&, const Settings&)> into(T TrainOptions::*member, const std::string& key) {
  return [member, key](TrainOptions& t, const Settings& s) {
    const Option* o = s.find(key);
    if (o->type == OptionType::Integer)
      t.*member = static_cast<T>(s.integer(key));
    else if constexpr (std::is_floating_point_v<T>)
      t.*member = static_cast<T>(s.number(key));
  };
}

std::vector<TrainField> train_fields(const TrainOptions& d) {
  const double inf = HUGE_VAL;
  auto flag_into = [](bool TrainOptions::*m, const std::string& key) {
    return [m, key](TrainOptions& t, const Settings& s) { t.*m = s.flag(key); };
  };
  auto text_into = [](std::string TrainOptions::*m, const std::string& key) {
    return [m, key](TrainOptions& t, const Settings& s) { t.*m = s.text(key); };
  };
  Option ema = number_option("ema_decay", d.ema_decay, "EMA decay of the weights (0 = off)", 0, 0.999999);
  ema.flag = "ema";
  Option resume = flag_option("resume", d.resume, "Continue from the output folder's checkpoint when there is one");
  resume.flag = "no-resume", resume.negated = true;
  resume.flag_help = "Start over even if the output folder has a checkpoint";
  Option adapt = flag_option("adapt_threads", d.adapt_threads,
                             "Use fewer threads while other processes keep the cores busy (fair sharing)");
  adapt.flag = "no-adapt-threads", adapt.negated = true;
  adapt.flag_help = "Keep the thread count fixed whatever the machine's load (bitwise repeatable runs)";
  Option betas = text_option("betas", pair_text(d.optimizer.beta1, d.optimizer.beta2), "Adam(W) betas: b1,b2");
  return {
      {folder_option("output_dir", "Checkpoints, metrics.jsonl and best_deploy.safetensors", true),
       text_into(&TrainOptions::output_dir, "output_dir")},
      {integer_option("epochs", d.epochs, "Epochs", 1, inf), into(&TrainOptions::epochs, "epochs")},
      {integer_option("batch_size", static_cast<int64_t>(d.batch_size), "Batch size per process", 1, 1e9),
       into(&TrainOptions::batch_size, "batch_size")},
      {integer_option("accumulate", d.accumulate,
                      "Micro-batches per batch: batch_size / N examples at a time, gradients summed before each "
                      "step (the memory of the smaller batch)",
                      1, 1e9),
       into(&TrainOptions::accumulate, "accumulate")},
      {number_option("lr", d.lr, "Base learning rate", 1e-300, inf), into(&TrainOptions::lr, "lr")},
      {number_option("min_lr", d.min_lr, "Final learning rate of the cosine schedule", 0, inf),
       into(&TrainOptions::min_lr, "min_lr")},
      {number_option("warmup_lr", d.warmup_lr, "Learning rate at the start of the warm-up", 0, inf),
       into(&TrainOptions::warmup_lr, "warmup_lr")},
      {number_option("warmup_epochs", d.warmup_epochs, "Linear warm-up epochs", 0, inf),
       into(&TrainOptions::warmup_epochs, "warmup_epochs")},
      {text_option("optimizer", optimizer_name(d.optimizer.kind), "Optimizer", {"adamw", "adam", "sgd"}),
       [](TrainOptions& t, const Settings& s) { t.optimizer.kind = parse_optimizer(s.text("optimizer")); }},
      {number_option("weight_decay", d.optimizer.weight_decay,
                     "Weight decay (not applied to norms, biases, layer scale, GRN)", 0, inf),
       [](TrainOptions& t, const Settings& s) { t.optimizer.weight_decay = s.number("weight_decay"); }},
      {number_option("layer_decay", d.optimizer.layer_decay, "Layer-wise learning-rate decay (1 = off)", 0, 1),
       [](TrainOptions& t, const Settings& s) { t.optimizer.layer_decay = s.number("layer_decay"); }},
      {number_option("momentum", d.optimizer.momentum, "SGD momentum", 0, inf),
       [](TrainOptions& t, const Settings& s) { t.optimizer.momentum = s.number("momentum"); }},
      {betas, [](TrainOptions& t, const Settings& s) { read_betas(t, s.text("betas")); }},
      {number_option("clip_grad", d.clip_grad, "Max gradient norm (0 = off)", 0, inf),
       into(&TrainOptions::clip_grad, "clip_grad")},
      {text_option("loss", loss_name(d.loss), "Loss", {"ce", "soft_ce", "bce", "mse", "mae"}),
       [](TrainOptions& t, const Settings& s) { t.loss = parse_loss(s.text("loss")); }},
      {number_option("label_smoothing", d.label_smoothing, "Label smoothing for ce", 0, 0.999),
       into(&TrainOptions::label_smoothing, "label_smoothing")},
      {ema, into(&TrainOptions::ema_decay, "ema_decay")},
      {flag_option("bf16", d.bf16, "bfloat16 autocast on CPU"), flag_into(&TrainOptions::bf16, "bf16")},
      {text_option("path", d.path == TrainingPath::Fast ? "fast" : "reference",
                   "Training path: fast (oneDNN and fused kernels) or reference (LibTorch autograd)",
                   {"fast", "reference"}),
       [](TrainOptions& t, const Settings& s) {
         t.path = s.text("path") == "fast" ? TrainingPath::Fast : TrainingPath::Reference;
       }},
      {text_option("precision", models::precision_name(d.precision),
                   "GEMM precision on the fast path: fp32, or bf16 operands with float32 sums, weights and optimizer "
                   "state (needs AVX512-BF16 or AMX)",
                   {"fp32", "bf16"}),
       [](TrainOptions& t, const Settings& s) { t.precision = models::parse_precision(s.text("precision")); }},
      {integer_option("trainable_stages", d.trainable_stages, "Freeze: -1 all, 0 head only, N head + last N stages", -1,
                      4),
       into(&TrainOptions::trainable_stages, "trainable_stages")},
      {integer_option("patience", d.patience, "Early stopping patience in epochs (0 = off)", 0, inf),
       into(&TrainOptions::patience, "patience")},
      {text_option("monitor", d.monitor, "Metric that chooses the best model (default: top1, or loss for regression)"),
       text_into(&TrainOptions::monitor, "monitor")},
      {integer_option("seed", static_cast<int64_t>(d.seed), "Seed for data order and initialization", 0, 9.2e18),
       into(&TrainOptions::seed, "seed")},
      {integer_option("workers", d.workers, "Data loader threads", 0, 256), into(&TrainOptions::workers, "workers")},
      {adapt, flag_into(&TrainOptions::adapt_threads, "adapt_threads")},
      {flag_option("recompute", d.recompute,
                   "Recompute the backbone stages' activations in the backward pass (less memory, more time)"),
       flag_into(&TrainOptions::recompute, "recompute")},
      {flag_option("drop_last", d.drop_last, "Drop the last incomplete batch of an epoch"),
       flag_into(&TrainOptions::drop_last, "drop_last")},
      {integer_option("max_steps", d.max_steps, "Stop after this many steps (smoke runs; -1 = no limit)", -1, inf),
       into(&TrainOptions::max_steps, "max_steps")},
      {resume, flag_into(&TrainOptions::resume, "resume")},
  };
}

}  // namespace

std::vector<Option> train_option_list(const TrainOptions& defaults) {
  std::vector<Option> out;
  for (auto& f : train_fields(defaults)) out.push_back(std::move(f.option));
  return out;
}

void apply_options_json(TrainOptions& options, const std::string& json_text, const std::string& source) {
  Settings s(train_option_list(options));
  s.set_json(json_text, source);
  options = read_train_options(s, options);
  if (const auto p = find_option_problem(options))
    throw std::invalid_argument(source + ": option '" + p->json_key + "' must be " + p->rule + ", got " + p->value);
}

TrainOptions read_train_options(const Settings& settings, TrainOptions defaults) {
  for (const auto& f : train_fields(defaults))
    if (settings.given(f.option.key)) f.apply(defaults, settings);
  return defaults;
}

}  // namespace unirep::sdk
