#pragma once
// What `unirep train` and `unirep forecast train` show while the trainer runs, drawn from the
// trainer's progress events (docs/training.md, "Progress and cancelling"): a bar per epoch with
// the running loss and learning rate, the epoch's metrics when it ends, and the resumed, stopped
// and note lines, all on stderr.
#include "sdk/train/trainer.h"

namespace unirep::cli {

// A callback for sdk::Trainer::set_progress that prints and never asks the run to stop
// (Ctrl-C does that). Each call makes a printer with its own bar.
sdk::ProgressCallback training_progress_printer();

}  // namespace unirep::cli
