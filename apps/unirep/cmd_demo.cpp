// unirep demo: the SDK's main job until the end-to-end demos land. Builds a model with random,
// non-trivial weights, fuses it, and reports how closely the two structures agree and how fast each is.
#include "commands.h"

#include "models/backbone/randomize.h"
#include "models/backbone/unireplknet.h"
#include "sdk/threads.h"

#include <ATen/ATen.h>
#include <torch/types.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace unirep::cli {
namespace {

// Median wall time of `runs` forward passes after one warm-up, in milliseconds.
double median_ms(models::UniRepLKNet& model, const at::Tensor& x, int runs) {
  torch::InferenceMode guard;
  model->forward(x);
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    model->forward(x);
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

Command add_demo(CLI::App& app) {
  struct Args {
    std::string model = "a";
    int64_t size = 224, batch = 1;
    int runs = 5, threads = 0;
    uint64_t seed = 0;
  };
  auto args = std::make_shared<Args>();
  app.add_option("--model,-m", args->model, "Variant or JSON config (default a)");
  app.add_option("--size", args->size, "Square input size (default 224)")->check(CLI::PositiveNumber);
  app.add_option("--batch", args->batch, "Batch size (default 1)")->check(CLI::PositiveNumber);
  app.add_option("--runs", args->runs, "Timed runs per structure (default 5)")->check(CLI::PositiveNumber);
  app.add_option("--threads,-t", args->threads, "CPU threads (default: all cores)");
  app.add_option("--seed", args->seed, "Random seed");
  return [args]() {
    const int threads = sdk::configure_threads(args->threads);
    auto config = models::resolve_config(args->model);
    torch::manual_seed(args->seed);
    models::UniRepLKNet model{models::UniRepLKNetOptions(config)};
    models::randomize_for_checks(*model, args->seed);
    model->eval();
    auto x = torch::randn({args->batch, config.in_chans, args->size, args->size});
    std::printf("UniRepLKNet %s, input %ldx%ldx%ldx%ld, %d threads\n", args->model.c_str(), (long)args->batch,
                (long)config.in_chans, (long)args->size, (long)args->size, threads);

    at::Tensor train_out;
    {
      torch::InferenceMode guard;
      train_out = model->forward(x);
    }
    const double train_ms = median_ms(model, x, args->runs);
    model->reparameterize();
    at::Tensor deploy_out;
    {
      torch::InferenceMode guard;
      deploy_out = model->forward(x);
    }
    const double deploy_ms = median_ms(model, x, args->runs);

    const double diff = (train_out - deploy_out).abs().max().item<double>();
    const double scale = std::max(1.0, train_out.abs().max().item<double>());
    const bool ok = diff <= 5e-5 * scale;
    std::printf("parity: max |train - deploy| = %.3g (max |logit| %.3g, relative %.3g) %s\n", diff, scale, diff / scale,
                ok ? "OK" : "FAILED");
    std::printf("speed (median of %d): train structure %.1f ms, deploy structure %.1f ms, %.2fx faster\n", args->runs,
                train_ms, deploy_ms, train_ms / deploy_ms);
    return ok ? 0 : 1;
  };
}

}  // namespace unirep::cli
