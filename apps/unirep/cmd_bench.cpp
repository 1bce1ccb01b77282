// unirep bench: inference speed of a backbone (deploy structure by default, or train, or both) at a
// given size, batch and thread count, with GFLOP/s and peak RSS (the contract of docs/performance.md); with --fbank,
// the audio front end's speed (seconds of audio per second); with --image or
// --video, the preprocessing of a file into the backbone input (decode, resize, crop, normalize,
// and for video the frame sampling and reshape). Medians over
// repeated runs after a warm-up; the machine is shared, so compare numbers taken in one run.
#include "input_options.h"
#include "commands.h"
#include "model_options.h"
#include "op_profile.h"

#include "modalities/audio/fbank.h"
#include "modalities/image/image_transform.h"
#include "modalities/video/video_transform.h"
#include "modalities/points/farthest_point_sampling.h"
#include "models/backbone/complexity.h"
#include "models/fast/fast_training_ops.h"
#include "models/fast/fast_unireplknet.h"
#include "models/backbone/randomize.h"
#include "models/backbone/recompute.h"
#include "models/fast/sgemm_rate.h"
#include "models/backbone/unireplknet.h"
#include "models/points/point_cloud_net.h"
#include "sdk/threads.h"

#include <ATen/ATen.h>
#include <torch/types.h>

#include <algorithm>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <random>

namespace unirep::cli {
namespace {

// Milliseconds per call of `call`, over `runs` timed calls after `warmup` untimed ones; `prepare`
// runs before each call, untimed.
struct Timing {
  double median_ms = 0, min_ms = 0;
};

template <class Call, class Prepare>
Timing time_calls(int warmup, int runs, Call&& call, Prepare&& prepare) {
  for (int i = 0; i < warmup; ++i) prepare(), call();
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    prepare();
    const auto t0 = std::chrono::steady_clock::now();
    call();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front()};
}

template <class Call>
Timing time_calls(int warmup, int runs, Call&& call) {
  return time_calls(warmup, runs, std::forward<Call>(call), [] {});
}

struct BenchArgs {
  std::string model = "a";
  int64_t size = 224, batch = 1;
  int runs = 10, warmup = 2, threads = 0;
  int64_t micro_batch = 1, accumulate = 1;
  bool json = false, fbank = false, train_step = false, profile = false, recompute = false;
  int64_t fps_points = 0, fps_samples = 4096, sgemm = 0;
  int64_t point_cloud = 0;                               // --train-step of the point-cloud classifier: points per shape
  std::string image, video, path, structure = "deploy";  // path: fast for --train-step, else reference
  models::Precision precision = models::Precision::Float32;
};

void add_bench_options(CLI::App& app, BenchArgs& a) {
  app.add_option("--model,-m", a.model, "Variant or JSON config (default a)");
  app.add_option("--size", a.size, "Square input size (default 224)")->check(CLI::PositiveNumber);
  app.add_option("--batch", a.batch, "Batch size (default 1)")->check(CLI::PositiveNumber);
  app.add_option("--runs,--iters", a.runs, "Timed runs (default 10)")->check(CLI::PositiveNumber);
  app.add_option(
         "--path", a.path,
         "reference: the plain LibTorch network (channels-last); fast: the fused oneDNN path (deploy structure only; "
         "with --train-step the fast training path). Default: reference, fast with --train-step")
      ->check(CLI::IsMember({"fast", "reference"}));
  app.add_option("--micro-batch", a.micro_batch,
                 "fast path: images per pass through the network (default 1; 0: whole batch)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--structure", a.structure, "deploy (default), train, or both")
      ->check(CLI::IsMember({"deploy", "train", "both"}));
  app.add_option("--warmup", a.warmup, "Untimed warm-up runs (default 2)")->check(CLI::NonNegativeNumber);
  app.add_option("--threads,-t", a.threads, "CPU threads (default: all cores)");
  app.add_flag("--recompute", a.recompute,
               "--train-step: recompute each stage's activations in the backward pass (the memory of one stage)");
  app.add_option("--accumulate", a.accumulate,
                 "--train-step: the batch as N micro-batches, gradients summed (the memory of batch / N)")
      ->check(CLI::PositiveNumber);
  add_precision_option(app, a.precision);
  app.add_flag("--json", a.json,
               "One JSON object per structure (model, batch, threads, path, ms_median, ms_min, images_per_s, "
               "gflops_per_s, peak_rss_mb, ...)");
  app.add_flag("--profile", a.profile,
               "After the timing, where the time goes: fast path, ms per forward by kind of step; --train-step, ms per "
               "step by operator (self time)");
  app.add_flag(
      "--train-step", a.train_step,
      "Measure a training step instead: forward + backward of the train structure (train mode, loss = sum of logits)");
  app.add_option("--point-cloud", a.point_cloud,
                 "--train-step: the whole point-cloud classifier instead (projection, backbone on 4 views of --size, "
                 "head; the CLI's default projection sizes) on --batch shapes of this many points")
      ->check(CLI::PositiveNumber);
  app.add_flag("--fbank", a.fbank, "Measure the Kaldi log-mel front end instead (60 s of 16 kHz audio per run)");
  app.add_option("--fps", a.fps_points,
                 "Measure farthest point sampling instead: from this many random points (e.g. 100000)")
      ->check(CLI::PositiveNumber);
  app.add_option("--fps-samples", a.fps_samples, "Points kept by --fps (default 4096)")->check(CLI::PositiveNumber);
  app.add_option("--sgemm", a.sgemm,
                 "Measure the machine's SGEMM rate instead: N x N x N products (e.g. 2048), oneDNN and LibTorch's BLAS")
      ->check(CLI::PositiveNumber);
  app.add_option("--image", a.image, "Measure preprocessing of this image into the --size input instead")
      ->check(existing_input());
  app.add_option("--video", a.video, "Measure preprocessing of this video into its validation view instead")
      ->check(existing_input());
}

// The process's peak resident memory so far, in MB.
double peak_rss_mb() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux: kilobytes
}

// --image / --video: single-threaded code (decoding with one FFmpeg thread, the resize loops).
void bench_preprocessing(const BenchArgs& a) {
  modalities::ImageTransformOptions io;
  io.size = static_cast<int>(a.size);
  modalities::VideoTransformOptions vo;
  vo.size = static_cast<int>(a.size);
  auto once = [&]() {
    if (!a.image.empty()) return modalities::load_image_input(a.image, io);
    return modalities::load_video_input(a.video, vo);
  };
  at::Tensor x;
  const double ms = time_calls(a.warmup, a.runs, [&] { x = once(); }).median_ms;
  const char* what = a.image.empty() ? "video" : "image";
  const std::string& file = a.image.empty() ? a.video : a.image;
  if (a.json)
    std::printf(
        "{\"%s\": \"%s\", \"preprocess_median_ms\": %.2f, \"per_second\": %.2f, \"output\": [%lld, %lld, %lld]}\n",
        what, file.c_str(), ms, 1e3 / ms, (long long)x.size(0), (long long)x.size(1), (long long)x.size(2));
  else
    std::printf("preprocess %s %s -> 3 x %lld x %lld: median %.2f ms (%.1f per second)\n", what, file.c_str(),
                (long long)x.size(1), (long long)x.size(2), ms, 1e3 / ms);
}

void bench_sgemm(const BenchArgs& a, int threads) {
  const auto rate = models::measure_sgemm_rate(a.sgemm, a.runs);
  if (a.json)
    std::printf("{\"sgemm_n\": %ld, \"threads\": %d, \"onednn_gflops_per_s\": %.1f, \"libtorch_gflops_per_s\": %.1f}\n",
                (long)a.sgemm, threads, rate.onednn_gflops, rate.libtorch_gflops);
  else
    std::printf("SGEMM %ld^3, %d threads: oneDNN %.1f GFLOP/s, LibTorch (its BLAS) %.1f GFLOP/s (medians of %d)\n",
                (long)a.sgemm, threads, rate.onednn_gflops, rate.libtorch_gflops, a.runs);
}

// --fps: one thread, like Open3D's farthest_point_down_sample (apps/benchmarks/open3d_fps.py).
void bench_farthest_point_sampling(const BenchArgs& a) {
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<std::array<float, 3>> cloud(static_cast<size_t>(a.fps_points));
  for (auto& p : cloud) p = {u(rng), u(rng), u(rng)};
  const double ms = time_calls(a.warmup, a.runs, [&] {
                      modalities::farthest_point_sampling(cloud, static_cast<size_t>(a.fps_samples));
                    }).median_ms;
  if (a.json)
    std::printf("{\"fps_median_ms\": %.2f, \"points\": %lld, \"samples\": %lld}\n", ms, (long long)a.fps_points,
                (long long)a.fps_samples);
  else
    std::printf("farthest point sampling %lld -> %lld points: median %.2f ms (1 thread)\n", (long long)a.fps_points,
                (long long)a.fps_samples, ms);
}

// --fbank: the official audio settings on 60 s of noise; compare with torchaudio's kaldi.fbank on
// the same thread count (apps/benchmarks/torchaudio_fbank.py).
void bench_fbank(const BenchArgs& a) {
  modalities::Fbank fb;
  auto wave = (torch::rand({60 * 16000}) * 2 - 1) * 0.3;
  const float* x = wave.data_ptr<float>();
  const double median = time_calls(a.warmup, a.runs, [&] { fb.compute(x, wave.numel()); }).median_ms / 1e3;
  std::printf(a.json ? "{\"fbank_audio_seconds_per_second\": %.1f, \"median_s\": %.4f}\n"
                     : "fbank (128 mel, 25/10 ms, 16 kHz): %.1f s of audio per second (median %.4f s per 60 s)\n",
              60.0 / median, median);
}

// --train-step --profile: self time per operator and autograd node, ms per step (the operators under
// 0.5% of the step summed into one line).
void print_train_step_profile(const std::function<void()>& step, const BenchArgs& a) {
  const auto rows = self_time_by_op(step, a.runs);
  double total = 0, rest = 0;
  for (const auto& row : rows) total += row.first;
  for (const auto& [ms, name] : rows) {
    if (ms < 0.005 * total) {
      rest += ms;
      continue;
    }
    std::printf(a.json ? "{\"op\": \"%s\", \"ms_per_step\": %.3f, \"share\": %.4f}\n" : "  %-56s %9.2f ms  %5.1f%%\n",
                name.c_str(), ms, a.json ? ms / total : 100.0 * ms / total);
  }
  std::printf(
      a.json ? "{\"op\": \"(the rest)\", \"ms_per_step\": %.3f, \"share\": %.4f}\n" : "  %-56s %9.2f ms  %5.1f%%\n",
      "(the rest)", rest, a.json ? rest / total : 100.0 * rest / total);
}

// --point-cloud: the point classifier with the projection sizes `unirep train points` defaults to
// (sdk/points/point_recipe.cpp), 4 views of size x size, 11 classes.
models::PointCloudNet point_cloud_net(const models::BackboneConfig& config, int64_t size) {
  models::PointToPixelOptions projection;
  projection.image_size(size).neighbours(16).graph_dim(32).fusion_dim(64).heads(4).head_dim(32).mlp_dim(128);
  models::PointCloudNet net(models::PointCloudNetOptions(config, 11).projection(projection));
  models::randomize_for_checks(*net->backbone, 0);
  return net;
}

// --train-step: forward + backward of the train structure, on the fast training path or (--path
// reference) on LibTorch's ops alone.
void bench_train_step(const BenchArgs& a, int threads) {
  auto config = models::resolve_config(a.model);
  models::UniRepLKNet model{models::UniRepLKNetOptions(config)};
  models::randomize_for_checks(*model, 0);
  std::shared_ptr<torch::nn::Module> net = model.ptr();
  std::function<at::Tensor(const at::Tensor&)> forward = [&](const at::Tensor& in) { return model->forward(in); };
  auto x = torch::randn({a.batch, config.in_chans, a.size, a.size});
  models::PointCloudNet points{nullptr};
  if (a.point_cloud > 0) {
    points = point_cloud_net(config, a.size);
    model = points->backbone;
    net = points.ptr();
    forward = [&](const at::Tensor& in) { return points->forward(in); };
    x = torch::rand({a.batch, a.point_cloud, 6}) * 2 - 1;
  }
  net->train();
  if (a.path == "fast") models::set_training_ops(*net, std::make_shared<models::FastTrainingOps>(a.precision));
  models::set_activation_recomputation(*model, a.recompute);
  // Gradients cleared before each step, untimed (as official_bench.py --train-step does).
  auto step = [&] {
    const int64_t parts = std::min(a.accumulate, a.batch);
    for (int64_t p = 0; p < parts; ++p)
      forward(x.slice(0, a.batch * p / parts, a.batch * (p + 1) / parts)).sum().backward();
  };
  const auto t = time_calls(a.warmup, a.runs, step, [&] { net->zero_grad(/*set_to_none=*/true); });
  const double median = t.median_ms;
  const double ips = static_cast<double>(a.batch) * 1000.0 / median, rss = peak_rss_mb();
  // A step's FLOPs as docs/performance.md counts them ("Training path"): the train structure's
  // forward multiply-accumulates, and twice that backward (input and weight gradients), x 2.
  const auto cx = models::count_complexity(config, /*deploy=*/false, a.size, a.size, config.layer_scale_init_value);
  // (The point classifier: the backbone's FLOPs on its 4 views only.)
  const int64_t images = a.point_cloud > 0 ? 4 * a.batch : a.batch;
  const double step_gflop = 3.0 * 2.0 * static_cast<double>(cx.macs) * static_cast<double>(images) / 1e9;
  const double gflops = step_gflop / (median / 1000.0);
  const std::string name = a.point_cloud > 0 ? "point classifier (" + a.model + ")" : a.model;
  if (a.json)
    std::printf(
        "{\"model\": \"%s\", \"step\": \"train\", \"path\": \"%s\", \"precision\": \"%s\", \"size\": %ld, \"batch\": "
        "%ld, \"accumulate\": %ld, \"recompute\": %s, \"threads\": %d, "
        "\"iters\": %d, "
        "\"ms_median\": %.3f, \"ms_min\": %.3f, \"images_per_s\": %.2f, \"gflop_per_step\": %.3f, \"gflops_per_s\": "
        "%.2f, \"peak_rss_mb\": %.1f}\n",
        name.c_str(), a.path.c_str(), models::precision_name(a.precision), (long)a.size, (long)a.batch,
        (long)a.accumulate, a.recompute ? "true" : "false", threads, a.runs, median, t.min_ms, ips, step_gflop, gflops,
        rss);
  else
    std::printf(
        "train step (forward + backward) %s %ldx%ld batch %ld, %d threads, %s path, %s: median %.1f ms (min %.1f), "
        "%.1f images/s, %.1f GFLOP/s, peak RSS %.0f MB\n",
        name.c_str(), (long)a.size, (long)a.size, (long)a.batch, threads, a.path.c_str(),
        models::precision_name(a.precision), median, t.min_ms, ips, gflops, rss);
  if (a.profile) print_train_step_profile(step, a);
}

// The fast path's own memory: packed weights and the plan's buffers (the process peak also holds
// the LibTorch network the fast path was built from), as text to append to the result line.
std::string fast_memory_text(const models::FastUniRepLKNet& fast_net, bool json) {
  const auto use = fast_net.memory_use();
  char buf[160];
  std::snprintf(buf, sizeof buf,
                json ? ", \"weights_mb\": %.1f, \"workspace_mb\": %.1f" : ", weights %.0f MB + buffers %.0f MB",
                use.weight_bytes / 1048576.0, use.workspace_bytes / 1048576.0);
  return buf;
}

// --profile: where a fast-path forward spends its time, by kind of step. Separate runs with a
// clock read per step, so the timing before stays unaffected.
template <class Forward>
void print_fast_profile(models::FastUniRepLKNet& fast_net, Forward&& forward, const BenchArgs& a) {
  fast_net.set_profiling(true);
  for (int i = 0; i < a.runs; ++i) forward();
  auto totals = fast_net.profile_ms();
  std::vector<std::pair<double, std::string>> rows;
  double sum = 0;
  for (const auto& [what, ms_total] : totals) {
    rows.emplace_back(ms_total / a.runs, what);
    sum += ms_total / a.runs;
  }
  std::sort(rows.rbegin(), rows.rend());
  for (const auto& [ms_each, what] : rows)
    std::printf(
        a.json ? "{\"step\": \"%s\", \"ms_per_forward\": %.3f, \"share\": %.3f}\n" : "  %-32s %8.3f ms  %5.1f%%\n",
        what.c_str(), ms_each, a.json ? ms_each / sum : 100.0 * ms_each / sum);
}

// Times inference of `model` in its current structure (named `structure`) on the reference or the
// fast path, and prints one result line (and the profile when asked).
void bench_structure(const BenchArgs& a, int threads, const models::BackboneConfig& config, models::UniRepLKNet& model,
                     const torch::Tensor& x, const char* structure) {
  const bool fast = a.path == "fast";
  torch::InferenceMode guard;
  std::unique_ptr<models::FastUniRepLKNet> fast_net;
  if (fast) {
    fast_net = std::make_unique<models::FastUniRepLKNet>(*model, a.precision);
    fast_net->set_micro_batch(a.micro_batch);
  }
  auto forward = [&]() { return fast ? fast_net->forward(x) : model->forward(x); };
  // The fast path builds its plan on the first call: at least one warm-up run.
  const auto t = time_calls(std::max(a.warmup, fast ? 1 : 0), a.runs, forward);
  const double median = t.median_ms;
  const double ips = static_cast<double>(a.batch) * 1000.0 / median;
  // FLOPs as docs/performance.md counts them (The benchmark contract): 2 x multiply-accumulates of
  // convs and linears.
  const auto cx = models::count_complexity(config, std::string(structure) == "deploy", a.size, a.size,
                                           config.layer_scale_init_value);
  const double gflops = 2.0 * static_cast<double>(cx.macs) * static_cast<double>(a.batch) / (median / 1000.0) / 1e9;
  const double rss = peak_rss_mb();
  const std::string fast_memory = fast ? fast_memory_text(*fast_net, a.json) : "";
  if (a.json)
    std::printf(
        "{\"model\": \"%s\", \"structure\": \"%s\", \"path\": \"%s\", \"precision\": \"%s\", \"size\": %ld, "
        "\"batch\": %ld, \"threads\": %d, \"iters\": %d, \"ms_median\": %.3f, \"ms_min\": %.3f, \"images_per_s\": "
        "%.2f, \"gflops\": %.3f, "
        "\"gflops_per_s\": %.2f, \"peak_rss_mb\": %.1f%s}\n",
        a.model.c_str(), structure, a.path.c_str(), models::precision_name(a.precision), (long)a.size, (long)a.batch,
        threads, a.runs, median, t.min_ms, ips, 2.0 * static_cast<double>(cx.macs) / 1e9, gflops, rss,
        fast_memory.c_str());
  else
    std::printf(
        "%-7s %s %ldx%ld batch %ld, %d threads, %s path, %s: median %.1f ms (min %.1f), %.1f images/s, %.1f GFLOP/s, "
        "peak "
        "RSS %.0f MB%s\n",
        structure, a.model.c_str(), (long)a.size, (long)a.size, (long)a.batch, threads, a.path.c_str(),
        models::precision_name(a.precision), median, t.min_ms, ips, gflops, rss, fast_memory.c_str());
  if (fast && a.profile) print_fast_profile(*fast_net, forward, a);
}

// The default measurement: inference of the train and/or deploy structure, in that order (the
// deploy structure is the train one reparameterized).
void bench_inference(const BenchArgs& a, int threads) {
  if (a.path == "fast" && a.structure != "deploy")
    throw std::invalid_argument("--path fast runs the deploy structure only; use --structure deploy");
  auto config = models::resolve_config(a.model);
  models::UniRepLKNet model{models::UniRepLKNetOptions(config)};
  models::randomize_for_checks(*model, 0);
  model->eval();
  auto x = torch::randn({a.batch, config.in_chans, a.size, a.size});
  for (const char* structure : {"train", "deploy"}) {
    if (std::string(structure) == "deploy") model->reparameterize();
    if (a.structure != "both" && a.structure != structure) continue;
    bench_structure(a, threads, config, model, x, structure);
  }
}

}  // namespace

Command add_bench(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  add_bench_options(app, *a);
  return [a]() {
    const int threads = sdk::configure_threads(a->threads);
    if (a->path.empty()) a->path = a->train_step ? "fast" : "reference";
    if (a->precision == models::Precision::BFloat16 && a->path != "fast")
      throw std::invalid_argument("--precision bf16 runs on the fast path; add --path fast");
    if (!a->image.empty() || !a->video.empty())
      bench_preprocessing(*a);
    else if (a->sgemm > 0)
      bench_sgemm(*a, threads);
    else if (a->fps_points > 0)
      bench_farthest_point_sampling(*a);
    else if (a->fbank)
      bench_fbank(*a);
    else if (a->train_step)
      bench_train_step(*a, threads);
    else
      bench_inference(*a, threads);
    return 0;
  };
}

}  // namespace unirep::cli
