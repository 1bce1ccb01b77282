// unirep_kernel_bench: each fused kernel of the fast inference path (models/fast), and the fused
// GELU + GRN of the fast training path, against the LibTorch composition it replaces
// (models/backbone), one pair of benchmarks per kernel on the same data:
// BM_<Kernel>_Fast is ours, BM_<Kernel>_LibTorch the reference path's code under InferenceMode.
//
//   build/release/apps/benchmarks/unirep_kernel_bench --benchmark_min_time=0.2
//   UNIREP_BENCH_THREADS=2 build/release/apps/benchmarks/unirep_kernel_bench --benchmark_filter=GRN
//
// Every benchmark takes the shape of an activation, batch 1: `side` x `side` pixels of `C`
// channels (C the block's dim; the MLP's hidden width is 4C). Activations are channels-last
// N x C x H x W tensors, whose memory is the NHWC buffer the fast path works on; the LibTorch side
// uses them exactly as the reference network does (the permute({0, 2, 3, 1}) view, or the tensor
// itself). items_per_second counts output values; FLOP/s is reported for the GEMMs and the conv.
// Before timing, each _Fast benchmark checks its result against LibTorch: a fast wrong answer is no
// result. One thread by default (UNIREP_BENCH_THREADS=N for more), as in the single-thread goals of
// docs/performance.md.
#include "models/fast/fast_kernels.h"
#include "models/fast/training_kernels.h"
#include "models/backbone/grn.h"
#include "models/backbone/layer_norm.h"
#include "models/backbone/se_block.h"

#include <ATen/ATen.h>
#include <benchmark/benchmark.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>
#include <unordered_map>

namespace {
using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;

// ---- Shared helpers ------------------------------------------------------------------------------

// A batch-1 channels-last activation (its memory is NHWC).
at::Tensor activation(int64_t side, int64_t channels) {
  return at::randn({1, channels, side, side}).contiguous(at::MemoryFormat::ChannelsLast);
}

float* data(const at::Tensor& t) {
  return t.data_ptr<float>();
}

// Skips the benchmark (with the largest difference as the reason) unless ours matches LibTorch.
bool matches(benchmark::State& state, const at::Tensor& ours, const at::Tensor& reference, double tolerance) {
  if (at::allclose(ours, reference, tolerance, tolerance)) return true;
  const auto diff = (ours - reference).abs().max().item<double>();
  state.SkipWithError(("differs from LibTorch by up to " + std::to_string(diff)).c_str());
  return false;
}

// Skips the benchmark unless an in-place kernel left `x` bit-for-bit as `before` (see the SE and GRN
// cases: their timed parameters make the kernel a fixed point, so every iteration sees one input).
bool unchanged(benchmark::State& state, const at::Tensor& x, const at::Tensor& before) {
  if (at::equal(x, before)) return true;
  state.SkipWithError("the in-place kernel changed its input; timed iterations would not see the same data");
  return false;
}

void count_values(benchmark::State& state, int64_t values) {
  state.SetItemsProcessed(state.iterations() * values);
}

void count_flops(benchmark::State& state, double flops) {
  state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

// ---- oneDNN primitives, built the way PlanBuilder builds them (models/fast/fast_unireplknet.cpp) --

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

// One primitive with its arguments bound, run like a plan step (execute, then wait). Weights are
// reordered once, here, into the layout the primitive chose; the scratchpad is the caller's, as in
// the plan (there one buffer serves all steps), so no call allocates.
class OneDnnStep {
 public:
  void operator()() {
    primitive_.execute(stream(), args_);
    stream().wait();
  }

 protected:
  static dnnl::primitive_attr attr(const dnnl::post_ops& ops) {
    dnnl::primitive_attr a;
    a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    a.set_post_ops(ops);
    return a;
  }

  memory bind(const memory::desc& md, const at::Tensor& t) { return memory(md, engine(), t.data_ptr()); }

  memory pack(const memory::desc& user_md, const at::Tensor& user, const memory::desc& want) {
    packed_ = at::empty({static_cast<int64_t>((want.get_size() + 3) / 4)});
    memory src = bind(user_md, user), dst = bind(want, packed_);
    dnnl::reorder(src, dst).execute(stream(), src, dst);
    stream().wait();
    return dst;
  }

  memory scratchpad(const memory::desc& md) {
    scratchpad_ = at::empty({std::max<int64_t>(1, static_cast<int64_t>((md.get_size() + 3) / 4))});
    return bind(md, scratchpad_);
  }

  dnnl::primitive primitive_;
  std::unordered_map<int, memory> args_;
  at::Tensor packed_, scratchpad_;
};

// dst (rows x out) = src (rows x in) . W^T + b, then `ops`; W is a Linear's out x in weight
// (PlanBuilder::linear).
class OneDnnLinear : public OneDnnStep {
 public:
  OneDnnLinear(const at::Tensor& weight, const at::Tensor& bias, const at::Tensor& src, const at::Tensor& dst,
               int64_t rows, const dnnl::post_ops& ops) {
    const int64_t out = weight.size(0), in = weight.size(1);
    memory::desc src_md({rows, in}, kF32, Tag::ab), dst_md({rows, out}, kF32, Tag::ab),
        bias_md({1, out}, kF32, Tag::ab);
    memory::desc user_w({in, out}, kF32, Tag::ba), any_w({in, out}, kF32, Tag::any);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, any_w, bias_md, dst_md), attr(ops), engine());
    args_ = {{DNNL_ARG_SRC, bind(src_md, src)},
             {DNNL_ARG_WEIGHTS, pack(user_w, weight, pd.weights_desc())},
             {DNNL_ARG_BIAS, bind(bias_md, bias)},
             {DNNL_ARG_DST, bind(dst_md, dst)},
             {DNNL_ARG_SCRATCHPAD, scratchpad(pd.scratchpad_desc())}};
    primitive_ = dnnl::matmul(pd);
  }
};

// Depthwise k x k convolution with bias, stride 1, NHWC in and out (PlanBuilder::conv with groups = C).
class OneDnnDepthwiseConv : public OneDnnStep {
 public:
  OneDnnDepthwiseConv(const at::Tensor& weight, const at::Tensor& bias, const at::Tensor& src, const at::Tensor& dst,
                      int64_t side) {
    const int64_t c = weight.size(0), k = weight.size(2), pad = k / 2;
    memory::desc src_md({1, c, side, side}, kF32, Tag::nhwc), dst_md({1, c, side, side}, kF32, Tag::nhwc),
        bias_md({c}, kF32, Tag::x);
    memory::desc user_w({c, 1, 1, k, k}, kF32, Tag::goihw), any_w({c, 1, 1, k, k}, kF32, Tag::any);
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md,
                                      any_w, bias_md, dst_md, {1, 1}, {pad, pad}, {pad, pad});
    dnnl::convolution_forward::primitive_desc pd(d, attr({}), engine());
    args_ = {{DNNL_ARG_SRC, bind(src_md, src)},
             {DNNL_ARG_WEIGHTS, pack(user_w, weight, pd.weights_desc())},
             {DNNL_ARG_BIAS, bind(bias_md, bias)},
             {DNNL_ARG_DST, bind(dst_md, dst)},
             {DNNL_ARG_SCRATCHPAD, scratchpad(pd.scratchpad_desc())}};
    primitive_ = dnnl::convolution_forward(pd);
  }
};

// ---- 1. LayerNorm over channels (stem, downsample layers) -----------------------------------------

struct LayerNormCase {
  explicit LayerNormCase(const benchmark::State& state)
      : side(state.range(0)), channels(state.range(1)), x(activation(side, channels)), norm(channels) {
    torch::NoGradGuard no_grad;
    norm->weight.normal_();
    norm->bias.normal_();
  }

  int64_t side, channels;
  at::Tensor x;
  unirep::models::ChannelsFirstLayerNorm norm;
};

void BM_LayerNorm_Fast(benchmark::State& state) {
  LayerNormCase c(state);
  auto out = at::empty_like(c.x);
  auto run = [&] {
    unirep::models::layer_norm_channels(data(c.x), data(out), c.side * c.side, c.channels, data(c.norm->weight),
                                        data(c.norm->bias), static_cast<float>(c.norm->eps));
  };
  run();
  {
    torch::InferenceMode guard;
    if (!matches(state, out, c.norm->forward(c.x), 1e-4)) return;
  }
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  count_values(state, c.x.numel());
}

void BM_LayerNorm_LibTorch(benchmark::State& state) {
  LayerNormCase c(state);
  torch::InferenceMode guard;
  for (auto _ : state) benchmark::DoNotOptimize(c.norm->forward(c.x));
  count_values(state, c.x.numel());
}

// ---- 2. Squeeze-and-excitation on the depthwise output --------------------------------------------

// Ours scales x in place, so repeated calls would shrink it by the sigmoid every iteration, into
// denormals (which are two orders of magnitude slower) within a few hundred calls. For timing, the
// up-projection's bias is set to 30: sigmoid(30) rounds to exactly 1.0f, so x *= s leaves x bit-for-
// bit unchanged and every iteration does the full work on the same input. The check before timing
// runs with the module's own random initialization.
struct SqueezeExciteCase {
  explicit SqueezeExciteCase(const benchmark::State& state)
      : side(state.range(0)),
        channels(state.range(1)),
        hidden(channels / 4),
        x(activation(side, channels)),
        se(channels, hidden) {}

  void use_timing_parameters() {
    torch::NoGradGuard no_grad;
    se->up->bias.fill_(30.0f);
  }

  int64_t side, channels, hidden;
  at::Tensor x;
  unirep::models::SEBlock se;
};

void BM_SqueezeExcite_Fast(benchmark::State& state) {
  SqueezeExciteCase c(state);
  auto scratch = at::empty({unirep::models::reduction_scratch_floats(c.channels) + 2 * c.channels + c.hidden});
  auto run = [&](const at::Tensor& x) {
    // The 1x1 conv weights (O x I x 1 x 1, contiguous) are the row-major O x I matrices the kernel takes.
    unirep::models::squeeze_excite(data(x), 1, c.side * c.side, c.channels, c.hidden, data(c.se->down->weight),
                                   data(c.se->down->bias), data(c.se->up->weight), data(c.se->up->bias), data(scratch));
  };
  {
    torch::InferenceMode guard;
    auto y = c.x.clone();
    run(y);
    if (!matches(state, y, c.se->forward(c.x), 1e-5)) return;
  }
  c.use_timing_parameters();
  const auto before = c.x.clone();
  run(c.x);
  if (!unchanged(state, c.x, before)) return;
  for (auto _ : state) {
    run(c.x);
    benchmark::ClobberMemory();
  }
  count_values(state, c.x.numel());
}

void BM_SqueezeExcite_LibTorch(benchmark::State& state) {
  SqueezeExciteCase c(state);
  c.use_timing_parameters();  // same data as ours; LibTorch's result is a new tensor either way
  torch::InferenceMode guard;
  for (auto _ : state) benchmark::DoNotOptimize(c.se->forward(c.x));
  count_values(state, c.x.numel());
}

// ---- 3. Global Response Normalization (deploy: no beta) on the 4C hidden activation ----------------

// In place like the SE, with the same remedy: timed with gamma = 0 (GRN's initial value), where the
// scale gamma * g / (mean g + 1e-6) + 1 is exactly 1; checked first with a random gamma.
struct GrnCase {
  explicit GrnCase(const benchmark::State& state)
      : side(state.range(0)),
        hidden(4 * state.range(1)),
        h(at::randn({1, side, side, hidden})),
        grn(hidden, /*use_bias=*/false) {
    torch::NoGradGuard no_grad;
    grn->gamma.normal_();
  }

  void use_timing_parameters() {
    torch::NoGradGuard no_grad;
    grn->gamma.zero_();
  }

  int64_t side, hidden;
  at::Tensor h;  // 1 x H x W x 4C: the first Linear's output on the NHWC view, as the block has it
  unirep::models::GRN grn;
};

void BM_GRN_Fast(benchmark::State& state) {
  GrnCase c(state);
  auto scratch = at::empty({unirep::models::reduction_scratch_floats(c.hidden) + c.hidden});
  auto run = [&](const at::Tensor& h) {
    unirep::models::global_response_norm(data(h), 1, c.side * c.side, c.hidden, data(c.grn->gamma), data(scratch));
  };
  {
    torch::InferenceMode guard;
    auto y = c.h.clone();
    run(y);
    if (!matches(state, y, c.grn->forward(c.h), 1e-4)) return;
  }
  c.use_timing_parameters();
  const auto before = c.h.clone();
  run(c.h);
  if (!unchanged(state, c.h, before)) return;
  for (auto _ : state) {
    run(c.h);
    benchmark::ClobberMemory();
  }
  count_values(state, c.h.numel());
}

void BM_GRN_LibTorch(benchmark::State& state) {
  GrnCase c(state);
  c.use_timing_parameters();
  torch::InferenceMode guard;
  for (auto _ : state) benchmark::DoNotOptimize(c.grn->forward(c.h));
  count_values(state, c.h.numel());
}

// ---- 4 and 5. The block's pointwise Linears -----------------------------------------------------

// A Linear in -> out on side x side rows, weights scaled so that outputs stay of order one.
struct LinearCase {
  LinearCase(int64_t side_, int64_t in, int64_t out)
      : side(side_),
        rows(side_ * side_),
        weight(at::randn({out, in}) / std::sqrt(static_cast<double>(in))),
        bias(at::randn({out})) {}

  double flops() const { return 2.0 * static_cast<double>(rows * weight.size(0) * weight.size(1)); }

  int64_t side, rows;
  at::Tensor weight, bias;
};

// 4. fc1 + GELU (erf): C -> 4C on the NHWC view of the SE output; ours fuses GELU as a post-op.
struct LinearGeluCase : LinearCase {
  explicit LinearGeluCase(const benchmark::State& state)
      : LinearCase(state.range(0), state.range(1), 4 * state.range(1)),
        x(activation(side, state.range(1)).permute({0, 2, 3, 1})) {}

  at::Tensor reference() const { return at::gelu(at::linear(x, weight, bias)); }

  at::Tensor x;  // 1 x H x W x C view of a channels-last tensor (contiguous NHWC memory)
};

void BM_LinearGELU_Fast(benchmark::State& state) {
  LinearGeluCase c(state);
  auto h = at::empty({1, c.side, c.side, c.weight.size(0)});
  dnnl::post_ops gelu;
  gelu.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
  OneDnnLinear run(c.weight, c.bias, c.x, h, c.rows, gelu);
  run();
  {
    torch::InferenceMode guard;
    if (!matches(state, h, c.reference(), 1e-4)) return;
  }
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  count_values(state, h.numel());
  count_flops(state, c.flops());
}

void BM_LinearGELU_LibTorch(benchmark::State& state) {
  LinearGeluCase c(state);
  torch::InferenceMode guard;
  for (auto _ : state) benchmark::DoNotOptimize(c.reference());
  count_values(state, c.rows * c.weight.size(0));
  count_flops(state, c.flops());
}

// 5. fc2 + residual: 4C -> C on the GRN output, added to the block input. Ours accumulates into the
// residual buffer (a sum post-op), so x grows by the Linear's output every iteration: linearly, which
// keeps it finite and normal for far more iterations than a run makes.
struct LinearResidualCase : LinearCase {
  explicit LinearResidualCase(const benchmark::State& state)
      : LinearCase(state.range(0), 4 * state.range(1), state.range(1)),
        h(at::randn({1, side, side, 4 * state.range(1)})),
        x(activation(side, state.range(1))) {}

  // As UniRepLKNetBlockImpl::forward: the Linear on NHWC, permuted back to N x C x H x W, plus x.
  at::Tensor reference(const at::Tensor& residual) const {
    return residual + at::linear(h, weight, bias).permute({0, 3, 1, 2});
  }

  at::Tensor h;  // 1 x H x W x 4C
  at::Tensor x;  // channels-last 1 x C x H x W: the block input
};

void BM_LinearResidual_Fast(benchmark::State& state) {
  LinearResidualCase c(state);
  dnnl::post_ops residual;
  residual.append_sum(1.0f);
  OneDnnLinear run(c.weight, c.bias, c.h, c.x, c.rows, residual);
  {
    torch::InferenceMode guard;
    auto expected = c.reference(c.x.clone());
    run();
    if (!matches(state, c.x, expected, 1e-4)) return;
  }
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  count_values(state, c.x.numel());
  count_flops(state, c.flops());
}

void BM_LinearResidual_LibTorch(benchmark::State& state) {
  LinearResidualCase c(state);
  torch::InferenceMode guard;
  for (auto _ : state) benchmark::DoNotOptimize(c.reference(c.x));
  count_values(state, c.x.numel());
  count_flops(state, c.flops());
}

// ---- 6. Depthwise 13 x 13 convolution + bias (the deploy block's large kernel) ---------------------

struct DepthwiseConvCase {
  static constexpr int64_t kKernel = 13;

  explicit DepthwiseConvCase(const benchmark::State& state)
      : side(state.range(0)),
        channels(state.range(1)),
        x(activation(side, channels)),
        weight(at::randn({channels, 1, kKernel, kKernel}) / static_cast<double>(kKernel)),
        bias(at::randn({channels})) {}

  // As the reference network's deploy dwconv (a Conv2d with groups = C): contiguous OIHW weights on
  // a channels-last input.
  at::Tensor reference() const {
    return at::conv2d(x, weight, bias, {1, 1}, {kKernel / 2, kKernel / 2}, {1, 1}, channels);
  }

  // Multiply-adds of the taps over the padded input, the count the complexity report uses.
  double flops() const { return 2.0 * static_cast<double>(side * side * channels * kKernel * kKernel); }

  int64_t side, channels;
  at::Tensor x, weight, bias;
};

void BM_DepthwiseConv13_Fast(benchmark::State& state) {
  DepthwiseConvCase c(state);
  auto out = at::empty_like(c.x);
  OneDnnDepthwiseConv run(c.weight, c.bias, c.x, out, c.side);
  run();
  {
    torch::InferenceMode guard;
    if (!matches(state, out, c.reference(), 1e-4)) return;
  }
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  count_values(state, out.numel());
  count_flops(state, c.flops());
}

void BM_DepthwiseConv13_LibTorch(benchmark::State& state) {
  DepthwiseConvCase c(state);
  torch::InferenceMode guard;
  for (auto _ : state) benchmark::DoNotOptimize(c.reference());
  count_values(state, c.x.numel());
  count_flops(state, c.flops());
}

// ---- 7. Training: GELU + GRN (with beta), forward and backward, on the 4C hidden activation ---------

// One training step's share of the block's activation pair: the fused kernels of the channel-MLP
// function (gelu_grn_forward, gelu_grn_backward) against LibTorch autograd on at::gelu and the GRN.
struct GeluGrnCase {
  explicit GeluGrnCase(const benchmark::State& state)
      : side(state.range(0)),
        hidden(4 * state.range(1)),
        h(at::randn({1, side, side, hidden})),
        grad_out(at::randn({1, side, side, hidden})),
        gamma(at::randn({1, 1, 1, hidden})),
        beta(at::randn({1, 1, 1, hidden})) {}

  // LibTorch's output and input gradient.
  std::pair<at::Tensor, at::Tensor> reference() const {
    auto x = h.clone().requires_grad_(true);
    auto y = unirep::models::grn(at::gelu(x), gamma, beta);
    y.backward(grad_out);
    return {y.detach(), x.grad()};
  }

  int64_t side, hidden;
  at::Tensor h, grad_out, gamma, beta;
};

void BM_GeluGrnStep_Fast(benchmark::State& state) {
  GeluGrnCase c(state);
  const int64_t pixels = c.side * c.side;
  auto out = at::empty_like(c.h), grad_h = at::empty_like(c.h);
  auto norms = at::empty({c.hidden}), nx = at::empty({c.hidden}), grad_bias = at::empty({c.hidden});
  auto grad_gamma = at::empty({c.hidden}), grad_beta = at::empty({c.hidden});
  auto run = [&] {
    unirep::models::gelu_grn_forward(data(c.h), data(out), nullptr, 1, pixels, c.hidden, data(c.gamma), data(c.beta),
                                     data(norms), data(nx));
    unirep::models::gelu_grn_backward(data(c.h), data(c.grad_out), 1, pixels, c.hidden, data(c.gamma), data(norms),
                                      data(nx), data(grad_h), nullptr, data(grad_bias), data(grad_gamma),
                                      data(grad_beta));
  };
  run();
  const auto [y, dx] = c.reference();
  if (!matches(state, out, y, 1e-4) || !matches(state, grad_h, dx, 1e-4)) return;
  for (auto _ : state) {
    run();
    benchmark::ClobberMemory();
  }
  count_values(state, c.h.numel());
}

void BM_GeluGrnStep_LibTorch(benchmark::State& state) {
  GeluGrnCase c(state);
  for (auto _ : state) benchmark::DoNotOptimize(c.reference());
  count_values(state, c.h.numel());
}

// ---- Shapes ---------------------------------------------------------------------------------------

// (side, C) of UniRepLKNet-S activations at 224 x 224: stage 1 (56 x 56 x 96), stage 3 (14 x 14 x
// 384, where the downsample LayerNorm runs) and stage 4 (7 x 7 x 768): the largest and the smallest
// maps, where per-call overheads and memory traffic weigh most differently.
void stage1_and_stage4(benchmark::internal::Benchmark* b) {
  b->ArgNames({"side", "C"})->Args({56, 96})->Args({7, 768});
}
void stage1_and_stage3(benchmark::internal::Benchmark* b) {
  b->ArgNames({"side", "C"})->Args({56, 96})->Args({14, 384});
}

BENCHMARK(BM_LayerNorm_Fast)->Apply(stage1_and_stage3);
BENCHMARK(BM_LayerNorm_LibTorch)->Apply(stage1_and_stage3);
BENCHMARK(BM_SqueezeExcite_Fast)->Apply(stage1_and_stage4);
BENCHMARK(BM_SqueezeExcite_LibTorch)->Apply(stage1_and_stage4);
BENCHMARK(BM_GRN_Fast)->Apply(stage1_and_stage4);
BENCHMARK(BM_GRN_LibTorch)->Apply(stage1_and_stage4);
BENCHMARK(BM_LinearGELU_Fast)->Apply(stage1_and_stage4);
BENCHMARK(BM_LinearGELU_LibTorch)->Apply(stage1_and_stage4);
BENCHMARK(BM_LinearResidual_Fast)->Apply(stage1_and_stage4);
BENCHMARK(BM_LinearResidual_LibTorch)->Apply(stage1_and_stage4);
BENCHMARK(BM_DepthwiseConv13_Fast)->Apply(stage1_and_stage4);
BENCHMARK(BM_DepthwiseConv13_LibTorch)->Apply(stage1_and_stage4);
BENCHMARK(BM_GeluGrnStep_Fast)->Apply(stage1_and_stage4);
BENCHMARK(BM_GeluGrnStep_LibTorch)->Apply(stage1_and_stage4);

// Threads for LibTorch, OpenMP (our kernels) and oneDNN alike: at::set_num_threads sets the OpenMP
// count all three read. From UNIREP_BENCH_THREADS, default 1.
int bench_threads() {
  const char* env = std::getenv("UNIREP_BENCH_THREADS");
  if (env == nullptr || *env == '\0') return 1;
  char* end = nullptr;
  const long n = std::strtol(env, &end, 10);
  if (*end != '\0' || n < 1 || n > 1024) {
    std::cerr << "UNIREP_BENCH_THREADS must be a positive integer, got '" << env << "'\n";
    std::exit(2);
  }
  return static_cast<int>(n);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = bench_threads();
  at::set_num_threads(threads);
  at::manual_seed(0);
  benchmark::AddCustomContext("threads", std::to_string(threads));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
