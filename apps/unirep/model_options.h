#pragma once
// The model options shared by the commands that load a backbone (--model, --weights, --in-chans,
// --num-classes, --threads, --non-strict).
#include "models/fast/precision.h"
#include "sdk/backbone_loader.h"

#include <CLI/CLI.hpp>

namespace unirep::cli {

struct ModelOptions {
  sdk::BackboneSpec spec;
  int64_t in_chans = 0;      // 0: not given
  int64_t num_classes = -1;  // -1: not given
  int threads = 0;           // 0: all cores
  bool non_strict = false;

  // `model_required` false: --model may be left out (a command that also takes a model file).
  void add_to(CLI::App& app, bool weights_required, bool model_required = true);
  // Applies the parsed values to `spec` and configures the thread count.
  void finalize();
};

// --precision fp32|bf16 of the commands that run a model (one help text for all).
CLI::Option* add_precision_option(CLI::App& app, models::Precision& precision);

}  // namespace unirep::cli
