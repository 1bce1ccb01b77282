// Range checks of TrainOptions (docs/training.md, "Bad values"). Every rate and coefficient must be
// finite: a NaN learning rate or decay turns every weight into NaN at the first step, and the run
// would go on printing NaN losses and writing NaN checkpoints.
#include "option_problem.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace unirep::sdk {
namespace {

std::string text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Checks in field order; the first failing one is the problem.
class Checks {
 public:
  void number(const char* field, const char* key, double v, double low, bool low_inclusive, double high,
              bool high_inclusive) {
    if (problem_) return;
    const bool ok = std::isfinite(v) && (low_inclusive ? v >= low : v > low) && (high_inclusive ? v <= high : v < high);
    if (ok) return;
    std::string rule = "a finite number ";
    if (std::isinf(high))
      rule += std::string(low_inclusive ? ">= " : "> ") + text(low);
    else
      rule +=
          "in " + std::string(low_inclusive ? "[" : "(") + text(low) + ", " + text(high) + (high_inclusive ? "]" : ")");
    problem_ = OptionProblem{field, key, rule, text(v)};
  }
  void at_least(const char* field, const char* key, long long v, long long low) {
    if (problem_ || v >= low) return;
    problem_ = OptionProblem{field, key, "at least " + std::to_string(low), std::to_string(v)};
  }
  std::optional<OptionProblem> problem() const { return problem_; }

 private:
  std::optional<OptionProblem> problem_;
};

constexpr double kInf = INFINITY;

}  // namespace

std::optional<OptionProblem> find_option_problem(const TrainOptions& o) {
  Checks c;
  c.at_least("epochs", "epochs", o.epochs, 1);
  c.at_least("batch_size", "batch_size", static_cast<long long>(o.batch_size), 1);
  c.at_least("accumulate", "accumulate", o.accumulate, 1);
  c.at_least("workers", "workers", o.workers, 0);
  c.number("lr", "lr", o.lr, 0, false, kInf, false);
  c.number("min_lr", "min_lr", o.min_lr, 0, true, kInf, false);
  c.number("warmup_lr", "warmup_lr", o.warmup_lr, 0, true, kInf, false);
  c.number("warmup_epochs", "warmup_epochs", o.warmup_epochs, 0, true, kInf, false);
  c.number("optimizer.weight_decay", "weight_decay", o.optimizer.weight_decay, 0, true, kInf, false);
  c.number("optimizer.layer_decay", "layer_decay", o.optimizer.layer_decay, 0, false, kInf, false);
  c.number("optimizer.momentum", "momentum", o.optimizer.momentum, 0, true, kInf, false);
  c.number("optimizer.beta1", "betas", o.optimizer.beta1, 0, true, 1, false);
  c.number("optimizer.beta2", "betas", o.optimizer.beta2, 0, true, 1, false);
  c.number("optimizer.eps", "eps", o.optimizer.eps, 0, false, kInf, false);
  c.number("clip_grad", "clip_grad", o.clip_grad, 0, true, kInf, false);
  c.number("label_smoothing", "label_smoothing", o.label_smoothing, 0, true, 1, true);
  c.number("ema_decay", "ema_decay", o.ema_decay, 0, true, 1, false);
  c.at_least("trainable_stages", "trainable_stages", o.trainable_stages, -1);
  c.at_least("patience", "patience", o.patience, 0);
  c.at_least("max_steps", "max_steps", o.max_steps, -1);
  return c.problem();
}

void check_train_options(const TrainOptions& options) {
  if (const auto p = find_option_problem(options))
    throw std::invalid_argument("TrainOptions." + p->field + " must be " + p->rule + ", got " + p->value);
}

}  // namespace unirep::sdk
