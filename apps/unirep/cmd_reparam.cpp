// unirep reparam: train-structure checkpoint in, fused deploy checkpoint out.
#include "commands.h"
#include "model_options.h"
#include "output_options.h"

#include "models/backbone/state_dict.h"

#include <cstdio>

namespace unirep::cli {

Command add_reparam(CLI::App& app) {
  struct Args {
    ModelOptions model;
    std::string output;
  };
  auto args = std::make_shared<Args>();
  args->model.add_to(app, /*weights_required=*/true);
  output_option(
      app.add_option("--output,-o", args->output, "Deploy weights to write: .safetensors or .pth")->required(),
      {/*standard_output=*/false});
  return [args]() {
    args->model.spec.reparameterize = true;
    args->model.finalize();
    auto loaded = sdk::load_backbone(args->model.spec);
    for (const auto& note : loaded.notes) std::fprintf(stderr, "note: %s\n", note.c_str());
    if (!loaded.loaded_train_structure)
      std::fprintf(stderr, "note: %s already holds the deploy structure; writing it unchanged\n",
                   args->model.spec.weights.c_str());
    auto tensors = models::state_dict(*loaded.model);
    sdk::write_weights(args->output, tensors);
    std::fprintf(stderr, "wrote %s (%zu tensors, deploy structure)\n", args->output.c_str(), tensors.size());
    return 0;
  };
}

}  // namespace unirep::cli
