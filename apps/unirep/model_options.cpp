#include "model_options.h"
#include "input_options.h"

#include "models/backbone/backbone_config.h"
#include "sdk/threads.h"

#include <string>

namespace unirep::cli {

void ModelOptions::add_to(CLI::App& app, bool weights_required, bool model_required) {
  auto* m = app.add_option("--model,-m", spec.model, "Variant (a, f, p, n, t, s, b, l, xl) or a JSON config file");
  if (model_required) m->required();
  auto* w = app.add_option("--weights,-w", spec.weights, "Weights: .pth (torch.save) or .safetensors")
                ->check(existing_input());
  if (weights_required) w->required();
  app.add_option("--in-chans", in_chans, "Input channels of a named variant (default: from the weights, else 3)")
      ->check(CLI::Range(int64_t{1}, models::kMaxChannels));
  app.add_option("--num-classes", num_classes, "Classes of a named variant (default: from the weights, else 1000)")
      ->check(CLI::Range(int64_t{0}, models::kMaxClasses));
  app.add_option("--threads,-t", threads, "CPU threads (default: all cores)")->check(CLI::NonNegativeNumber);
  app.add_flag("--non-strict", non_strict, "Load matching keys and report the rest instead of failing");
}

CLI::Option* add_precision_option(CLI::App& app, models::Precision& precision) {
  // A text checked against the names, so a bad value reads "fp16 not in {fp32,bf16}".
  return app
      .add_option_function<std::string>(
          "--precision", [&precision](const std::string& name) { precision = models::parse_precision(name); },
          "fp32 (default) or bf16: bfloat16 matrix products with float32 sums on the fast path, about 1.7x "
          "faster (needs AVX512-BF16 or AMX)")
      ->check(CLI::IsMember({"fp32", "bf16"}));
}

void ModelOptions::finalize() {
  if ((in_chans > 0 || num_classes >= 0) && !models::is_variant_name(spec.model))
    throw std::invalid_argument("--in-chans and --num-classes apply to named variants; edit " + spec.model +
                                " instead");
  if (in_chans > 0) spec.in_chans = in_chans;
  if (num_classes >= 0) spec.num_classes = num_classes;
  spec.strict = !non_strict;
  sdk::configure_threads(threads);
}

}  // namespace unirep::cli
