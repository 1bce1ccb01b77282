// unirep info: what a model costs, in both structures, at a given input size.
#include "commands.h"

#include "models/backbone/backbone_config.h"
#include "models/backbone/complexity.h"

#include <cstdio>
#include <string>

namespace unirep::cli {

Command add_info(CLI::App& app) {
  struct Args {
    std::string model;
    int64_t size = 224, height = 0, width = 0, in_chans = 0, num_classes = -1;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  app.add_option("--model,-m", args->model, "Variant (a, f, p, n, t, s, b, l, xl) or a JSON config file")->required();
  app.add_option("--size", args->size, "Square input size (default 224)")->check(CLI::PositiveNumber);
  app.add_option("--height", args->height, "Input height (overrides --size)")->check(CLI::PositiveNumber);
  app.add_option("--width", args->width, "Input width (overrides --size)")->check(CLI::PositiveNumber);
  app.add_option("--in-chans", args->in_chans, "Input channels of a named variant")->check(CLI::PositiveNumber);
  app.add_option("--num-classes", args->num_classes, "Classes of a named variant")->check(CLI::NonNegativeNumber);
  app.add_flag("--json", args->json, "Print one JSON object instead of a table");
  return [args]() {
    auto config = models::resolve_config(args->model);
    if (args->in_chans > 0) config.in_chans = args->in_chans;
    if (args->num_classes >= 0) config.num_classes = args->num_classes;
    const int64_t h = args->height ? args->height : args->size, w = args->width ? args->width : args->size;
    const auto train = models::count_complexity(config, false, h, w, config.layer_scale_init_value);
    const auto deploy = models::count_complexity(config, true, h, w, config.layer_scale_init_value);
    auto join = [](const std::vector<int64_t>& v) {
      std::string s;
      for (auto x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
      return s;
    };
    if (args->json) {
      std::printf(
          "{\"model\": \"%s\", \"height\": %ld, \"width\": %ld, \"train\": {\"params\": %ld, \"macs\": %ld}, "
          "\"deploy\": {\"params\": %ld, \"macs\": %ld}}\n",
          args->model.c_str(), (long)h, (long)w, (long)train.parameters, (long)train.macs, (long)deploy.parameters,
          (long)deploy.macs);
      return 0;
    }
    std::printf("model      %s\n", args->model.c_str());
    std::printf("dims       %s\ndepths     %s\nin_chans   %ld\nclasses    %ld\ninput      %ldx%ld\n",
                join(config.dims).c_str(), join(config.depths).c_str(), (long)config.in_chans, (long)config.num_classes,
                (long)h, (long)w);
    std::printf("\n%-10s %14s %12s %16s %10s\n", "structure", "params", "params (M)", "FLOPs (MACs)", "GFLOPs");
    for (auto [name, c] : {std::pair{"train", train}, std::pair{"deploy", deploy}})
      std::printf("%-10s %14ld %12.2f %16ld %10.2f\n", name, (long)c.parameters, c.parameters / 1e6, (long)c.macs,
                  c.macs / 1e9);
    std::printf("\nFLOPs count the multiply-adds of convolutions and linear layers, as the paper does.\n");
    return 0;
  };
}

}  // namespace unirep::cli
