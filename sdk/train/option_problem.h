#pragma once
// Private to sdk/train: the range checks of TrainOptions, shared by check_train_options (which
// names the SDK field) and apply_options_json (which names the JSON key of the file it read).
#include "sdk/train/trainer.h"

#include <optional>
#include <string>

namespace unirep::sdk {

struct OptionProblem {
  std::string field;     // TrainOptions field, e.g. "optimizer.weight_decay"
  std::string json_key;  // the key apply_options_json reads it from, e.g. "weight_decay"
  std::string rule;      // what it must be, e.g. "a finite number > 0"
  std::string value;     // what it is, e.g. "nan"
};

// The first option out of range or not finite; nothing when all are fine.
std::optional<OptionProblem> find_option_problem(const TrainOptions& options);

}  // namespace unirep::sdk
