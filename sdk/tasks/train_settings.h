#pragma once
// TrainOptions as a table of options (docs/training.md, "One table of options"): the same keys as
// a --config JSON file, the CLI flags derived from them, and the run config saved with a model.
#include "sdk/tasks/settings.h"
#include "sdk/train/trainer.h"

#include <vector>

namespace unirep::sdk {

// Every training option, with the defaults of `defaults` (a task's own, e.g. forecasting's MSE
// loss). output_dir is among them.
std::vector<Option> train_option_list(const TrainOptions& defaults = {});

// `defaults` with every training option given in `settings` applied. Values are checked as the
// table says; check_train_options (run by the Trainer) checks the combination.
TrainOptions read_train_options(const Settings& settings, TrainOptions defaults = {});

// `options` with the training options of a JSON object applied (a --config file without task
// options): unknown keys and values out of range are std::invalid_argument naming `source` and the
// key, and so is a combination check_train_options refuses.
void apply_options_json(TrainOptions& options, const std::string& json_text, const std::string& source);

}  // namespace unirep::sdk
