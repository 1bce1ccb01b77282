// unirep bench: inference speed of a backbone, both structures, at a given size, batch and thread
// count. Medians over repeated runs after a warm-up; the machine is shared, so compare numbers
// taken in one run.
#include "commands.h"

#include <unirep/models/randomize.h>
#include <unirep/models/unireplknet.h>
#include <unirep/sdk/threads.h>

#include <ATen/ATen.h>
#include <torch/types.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace unirep::cli {

Command add_bench(CLI::App& app) {
  struct Args {
    std::string model = "a";
    int64_t size = 224, batch = 1;
    int runs = 10, warmup = 2, threads = 0;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  app.add_option("--model,-m", a->model, "Variant or JSON config (default a)");
  app.add_option("--size", a->size, "Square input size (default 224)")->check(CLI::PositiveNumber);
  app.add_option("--batch", a->batch, "Batch size (default 1)")->check(CLI::PositiveNumber);
  app.add_option("--runs", a->runs, "Timed runs (default 10)")->check(CLI::PositiveNumber);
  app.add_option("--warmup", a->warmup, "Untimed warm-up runs (default 2)")->check(CLI::NonNegativeNumber);
  app.add_option("--threads,-t", a->threads, "CPU threads (default: all cores)");
  app.add_flag("--json", a->json, "One JSON object per structure");
  return [a]() {
    const int threads = sdk::configure_threads(a->threads);
    auto config = models::resolve_config(a->model);
    models::UniRepLKNet model{models::UniRepLKNetOptions(config)};
    models::randomize_for_checks(*model, 0);
    model->eval();
    auto x = torch::randn({a->batch, config.in_chans, a->size, a->size});
    for (const char* structure : {"train", "deploy"}) {
      if (std::string(structure) == "deploy") model->reparameterize();
      torch::InferenceMode guard;
      for (int i = 0; i < a->warmup; ++i) model->forward(x);
      std::vector<double> ms;
      for (int i = 0; i < a->runs; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        model->forward(x);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
      std::sort(ms.begin(), ms.end());
      const double median = ms[ms.size() / 2];
      const double ips = a->batch * 1000.0 / median;
      if (a->json)
        std::printf("{\"model\": \"%s\", \"structure\": \"%s\", \"size\": %ld, \"batch\": %ld, \"threads\": %d, "
                    "\"median_ms\": %.3f, \"min_ms\": %.3f, \"images_per_s\": %.2f}\n",
                    a->model.c_str(), structure, (long)a->size, (long)a->batch, threads, median, ms.front(), ips);
      else
        std::printf("%-7s %s %ldx%ld batch %ld, %d threads: median %.1f ms (min %.1f), %.1f images/s\n", structure,
                    a->model.c_str(), (long)a->size, (long)a->size, (long)a->batch, threads, median, ms.front(), ips);
    }
    return 0;
  };
}

}  // namespace unirep::cli
