// unirep infer: a .npy batch in, logits / pooled features / stage maps out.
#include "input_options.h"
#include "commands.h"
#include "finite_output.h"
#include "model_options.h"
#include "output_options.h"

#include "models/io/format_error.h"
#include "models/io/npy.h"
#include "models/io/output_transaction.h"
#include "sdk/inference_backbone.h"

#include <ATen/ATen.h>
#include <torch/types.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

namespace unirep::cli {
namespace {

at::Tensor read_input(const std::string& path, int64_t in_chans) {
  auto x = io::read_npy(path);
  if (x.dim() != 4) {
    std::ostringstream ss;
    ss << "input must be N x C x H x W, got shape " << x.sizes();
    throw io::FormatError(path, ss.str());
  }
  if (x.size(1) != in_chans)
    throw io::FormatError(
        path, "input has " + std::to_string(x.size(1)) + " channels, the model expects " + std::to_string(in_chans));
  if (x.numel() == 0) throw io::FormatError(path, "input is empty");
  if (!x.is_floating_point()) throw io::FormatError(path, "input must be float32 or float64");
  // A NaN or Inf would spread through every later layer and come out as a silent NaN output.
  const auto bad = (~at::isfinite(x)).sum().item<int64_t>();
  if (bad > 0) throw io::FormatError(path, std::to_string(bad) + " input values are NaN or infinite");
  return x.to(at::kFloat);
}

}  // namespace

Command add_infer(CLI::App& app) {
  struct Args {
    ModelOptions model;
    std::string input, output, mode = "logits";
    bool reparam = false;
    models::Precision precision = models::Precision::Float32;
  };
  auto args = std::make_shared<Args>();
  args->model.add_to(app, /*weights_required=*/true);
  app.add_option("--input-npy,-i", args->input, "Input batch, N x C x H x W float32 .npy")
      ->required()
      ->check(existing_input());
  output_option(app.add_option("--output-npy,-o", args->output,
                               "Output .npy (features: Y.stage0.npy .. Y.stage3.npy; - for standard output)")
                    ->required(),
                {true, [args](const std::string& value) {
                   return args->mode == "features" ? stage_files(value) : std::vector<std::string>{value};
                 }});
  app.add_option("--output", args->mode, "logits | pooled | features")
      ->check(CLI::IsMember({"logits", "pooled", "features"}));
  app.add_flag("--reparam", args->reparam, "Fuse train-structure weights into the deploy structure before running");
  add_precision_option(app, args->precision);
  return [args]() {
    args->model.spec.reparameterize = args->reparam;
    args->model.finalize();
    auto loaded = sdk::load_backbone(args->model.spec);
    for (const auto& note : loaded.notes) std::fprintf(stderr, "note: %s\n", note.c_str());
    auto x = read_input(args->input, loaded.model->config().in_chans);
    // fp32 runs the LibTorch network itself (the outputs the parity tests hold to the official
    // ones); bf16 runs on the fast path, which needs the deploy structure.
    if (args->precision == models::Precision::BFloat16 && !loaded.model->deployed())
      throw std::invalid_argument(args->model.spec.weights +
                                  ": --precision bf16 runs the deploy structure; these are train-structure weights, "
                                  "add --reparam");
    const sdk::InferenceBackbone backbone(
        loaded.model,
        {args->precision == models::Precision::BFloat16 ? sdk::InferencePath::Fast : sdk::InferencePath::Reference,
         args->precision});

    std::vector<std::pair<std::string, at::Tensor>> outputs;
    if (args->mode == "features") {
      auto maps = backbone.forward_stages(x, loaded.model->has_stage_norms());
      const auto files = stage_files(args->output);
      for (size_t i = 0; i < files.size(); ++i) outputs.emplace_back(files[i], maps[i].contiguous());
    } else {
      auto mode = args->mode == "pooled" ? models::OutputMode::Pooled : models::OutputMode::Logits;
      outputs.emplace_back(args->output, backbone.forward(x, mode).contiguous());
    }
    for (const auto& [path, t] : outputs) require_finite_output(t, path);
    // Everything is computed before the first file is written, and the files appear together.
    io::OutputTransaction transaction;
    for (const auto& [path, t] : outputs) io::write_npy(path, t);
    transaction.commit();
    for (const auto& [path, t] : outputs) {
      std::ostringstream ss;
      ss << t.sizes();
      std::fprintf(stderr, "wrote %s %s\n", path.c_str(), ss.str().c_str());
    }
    return 0;
  };
}

}  // namespace unirep::cli
