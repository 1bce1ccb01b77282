// The fast inference path (models/fast) against the official outputs in the reference fixtures (docs/testing.md) and
// against the LibTorch reference network on layouts, sizes, batches and thread counts the fixtures
// do not cover.
#include "models/io/npy.h"
#include "models/fast/fast_kernels.h"
#include "models/fast/fast_unireplknet.h"
#include "models/backbone/randomize.h"
#include "sdk/backbone_loader.h"
#include "sdk/threads.h"

#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <thread>

#include "support/test_support.h"

using unirep::models::FastUniRepLKNet;
using unirep::models::OutputMode;
using unirep::testing::fixture;
using unirep::testing::within_fixture_tolerance;

namespace {

unirep::sdk::LoadedBackbone load_fixture(const std::string& name, const std::string& weights, bool reparam) {
  unirep::sdk::BackboneSpec spec;
  spec.model = fixture("backbone/" + name + ".config.json");
  spec.weights = fixture("backbone/" + name + weights);
  spec.reparameterize = reparam;
  return unirep::sdk::load_backbone(spec);
}

unirep::models::UniRepLKNet random_deployed(const unirep::models::BackboneConfig& config, uint64_t seed) {
  unirep::models::UniRepLKNet model{unirep::models::UniRepLKNetOptions(config)};
  unirep::models::randomize_for_checks(*model, seed);
  model->eval();
  model->reparameterize();
  return model;
}

unirep::models::BackboneConfig small_config(int64_t in_chans, int64_t classes) {
  unirep::models::BackboneConfig c;
  c.depths = {2, 1, 3, 1};
  c.dims = {16, 24, 40, 64};
  c.kernel_sizes = {{3, 13}, {5}, {0, 7, 3}, {9}};  // every kind of depthwise part, identity included
  c.in_chans = in_chans;
  c.num_classes = classes;
  return c;
}

class FastPathFixtures : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(FastPathFixtures, OfficialDeployWeightsGiveTheOfficialLogitsAndStages) {
  UNIREP_REQUIRE_FIXTURES();
  const auto name = GetParam();
  auto loaded = load_fixture(name, ".deploy.pth", false);
  FastUniRepLKNet fast(*loaded.model);
  auto x = unirep::io::read_npy(fixture("backbone/" + name + ".input.npy"));
  EXPECT_TRUE(within_fixture_tolerance(fast.forward(x),
                                       unirep::io::read_npy(fixture("backbone/" + name + ".deploy_logits.npy"))));
  // The fixtures' stage outputs come from the train structure; the deploy structure equals them
  // to the same tolerance (the official reparameterization is exact up to rounding).
  auto stages = fast.forward_stages(x);
  ASSERT_EQ(stages.size(), 4u);
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(within_fixture_tolerance(
        stages[i], unirep::io::read_npy(fixture("backbone/" + name + ".stage" + std::to_string(i) + ".npy"))))
        << "stage " << i;
}

TEST_P(FastPathFixtures, OwnReparameterizationOfTheTrainCheckpoint) {
  UNIREP_REQUIRE_FIXTURES();
  const auto name = GetParam();
  auto loaded = load_fixture(name, ".train.pth", true);
  FastUniRepLKNet fast(*loaded.model);
  auto x = unirep::io::read_npy(fixture("backbone/" + name + ".input.npy"));
  EXPECT_TRUE(within_fixture_tolerance(fast.forward(x),
                                       unirep::io::read_npy(fixture("backbone/" + name + ".deploy_logits.npy"))));
}

INSTANTIATE_TEST_SUITE_P(Backbone, FastPathFixtures, ::testing::Values("tiny_mono", "unireplknet_a"));

TEST(FastPath, MatchesTheReferenceOnOddSizesBatchesAndEveryBlockKind) {
  auto model = random_deployed(small_config(3, 10), 7);
  FastUniRepLKNet fast(*model);
  torch::InferenceMode guard;
  int64_t weights_after_first_plan = 0;
  for (auto [n, h, w] : {std::tuple<int64_t, int64_t, int64_t>{1, 64, 64}, {3, 37, 50}, {2, 33, 33}, {1, 16, 16}}) {
    auto x = torch::randn({n, 3, h, w});
    EXPECT_TRUE(within_fixture_tolerance(fast.forward(x), model->forward(x))) << n << "x" << h << "x" << w;
    EXPECT_TRUE(within_fixture_tolerance(fast.forward(x, OutputMode::Pooled), model->forward(x, OutputMode::Pooled)));
    auto ours = fast.forward_stages(x);
    auto ref = model->forward_stages(x);
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(within_fixture_tolerance(ours[i], ref[i])) << "stage " << i;
    if (weights_after_first_plan == 0) weights_after_first_plan = fast.memory_use().weight_bytes;
  }
  // Weights are held once however many shapes (plans) have been seen; buffers grow per plan.
  EXPECT_GT(weights_after_first_plan, 0);
  EXPECT_LE(fast.memory_use().weight_bytes, weights_after_first_plan * 5 / 4);
  EXPECT_GT(fast.memory_use().workspace_bytes, 0);
  // A plan is reused: the same shape again gives the same numbers bit for bit.
  auto x = torch::randn({3, 3, 37, 50});
  EXPECT_TRUE(torch::equal(fast.forward(x), fast.forward(x)));
  // Non-contiguous input (a channels-last tensor and a strided view) is read correctly.
  auto cl = x.contiguous(at::MemoryFormat::ChannelsLast);
  EXPECT_TRUE(torch::equal(fast.forward(cl), fast.forward(x)));
  auto big = torch::randn({3, 3, 74, 100});
  auto view = big.slice(2, 0, 74, 2).slice(3, 0, 100, 2);
  EXPECT_TRUE(torch::equal(fast.forward(view), fast.forward(view.contiguous())));
}

TEST(FastPath, MatchesTheReferenceOnAnOfficialVariantWithTwoThreads) {
  auto model = random_deployed(unirep::models::variant_config("a"), 3);
  FastUniRepLKNet fast(*model);
  const int before = unirep::sdk::configure_threads(2);
  torch::InferenceMode guard;
  auto x = torch::randn({2, 3, 96, 96});
  auto two = fast.forward(x);
  EXPECT_TRUE(within_fixture_tolerance(two, model->forward(x)));
  unirep::sdk::configure_threads(1);
  EXPECT_TRUE(within_fixture_tolerance(fast.forward(x), two));
  unirep::sdk::configure_threads(before);
}

TEST(FastPath, ModelsWithoutAClassifierGivePooledFeaturesOnly) {
  auto config = small_config(1, 0);
  auto model = random_deployed(config, 11);
  FastUniRepLKNet fast(*model);
  torch::InferenceMode guard;
  auto x = torch::randn({2, 1, 40, 48});
  EXPECT_TRUE(within_fixture_tolerance(fast.forward(x, OutputMode::Pooled), model->forward(x, OutputMode::Pooled)));
  EXPECT_THROW(fast.forward(x), std::invalid_argument);
}

TEST(FastPath, RefusesTheTrainStructureAndWrongInputs) {
  unirep::models::UniRepLKNet train{unirep::models::UniRepLKNetOptions(small_config(3, 4))};
  try {
    FastUniRepLKNet fast(*train);
    FAIL() << "a train-structure model was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("reparameterize"), std::string::npos) << e.what();
  }
  auto model = random_deployed(small_config(3, 4), 1);
  FastUniRepLKNet fast(*model);
  EXPECT_THROW(fast.forward(torch::randn({1, 1, 32, 32})), std::invalid_argument);  // wrong channels
  EXPECT_THROW(fast.forward(torch::randn({3, 32, 32})), std::invalid_argument);     // not 4-D
}

TEST(FastPath, ConcurrentCallersOnOneObjectGetTheSingleThreadedResults) {
  auto model = random_deployed(small_config(3, 5), 5);
  FastUniRepLKNet fast(*model);
  std::vector<at::Tensor> inputs, expected;
  {
    torch::InferenceMode guard;
    for (int i = 0; i < 4; ++i) {
      inputs.push_back(torch::randn({1 + i % 2, 3, 32 + 8 * i, 40}));
      expected.push_back(fast.forward(inputs.back()));
    }
  }
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t]() {
      torch::InferenceMode guard;
      for (int r = 0; r < 10; ++r) {
        const int i = (t + r) % 4;
        if (!torch::equal(fast.forward(inputs[i]), expected[i])) ++wrong[t];
      }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

// The depthwise fallback kernel (used where oneDNN has no direct kernel for the shape, e.g. 13 x 13
// on AVX2; the ctest entry fast_path_on_avx2 runs this suite that way) against LibTorch's conv2d.
TEST(FastPath, OwnDepthwiseKernelMatchesConv2d) {
  torch::InferenceMode guard;
  for (auto [c, k, h, w] : {std::tuple<int64_t, int64_t, int64_t, int64_t>{40, 13, 14, 14},
                            {96, 13, 7, 7},
                            {33, 3, 9, 11},
                            {64, 5, 1, 1},
                            {7, 9, 12, 5},
                            {32, 13, 56, 56}}) {
    auto x = torch::randn({2, c, h, w}).contiguous(at::MemoryFormat::ChannelsLast);
    auto weight = torch::randn({c, 1, k, k}), bias = torch::randn({c});
    auto expected = at::conv2d(x, weight, bias, 1, k / 2, 1, c);
    auto kkc = weight.reshape({c, k * k}).t().contiguous();
    auto out = torch::empty_like(x);
    unirep::models::depthwise_conv(x.data_ptr<float>(), out.data_ptr<float>(), 2, h, w, c, kkc.data_ptr<float>(),
                                   bias.data_ptr<float>(), k);
    EXPECT_TRUE(within_fixture_tolerance(out, expected)) << c << " channels, kernel " << k << ", " << h << "x" << w;
  }
}

namespace {

double relative_error(const at::Tensor& got, const at::Tensor& want) {
  return ((got - want).norm() / want.norm()).item<double>();
}

}  // namespace

TEST(FastPathBf16, ConversionsRoundToNearestEvenAsLibTorchDoes) {
  auto values =
      torch::cat({torch::randn({4096}) * 1e3, torch::randn({4096}) * 1e-3,
                  torch::tensor({0.0f, -0.0f, 1.0f + 1.0f / 256, 1.0f + 3.0f / 256, 3.4e38f,
                                 std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()})});
  auto want = values.to(at::kBFloat16);
  const float* v = values.data_ptr<float>();
  const auto* w = static_cast<const uint16_t*>(want.data_ptr());
  for (int64_t i = 0; i < values.numel(); ++i) {
    ASSERT_EQ(unirep::models::float_to_bf16(v[i]), w[i]) << v[i];
    ASSERT_EQ(unirep::models::bf16_to_float(w[i]), want[i].item<float>());
  }
  const uint16_t nan = unirep::models::float_to_bf16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_TRUE(std::isnan(unirep::models::bf16_to_float(nan)));
  const uint32_t all_ones_nan = 0x7fffffffu;
  float f;
  std::memcpy(&f, &all_ones_nan, sizeof f);
  EXPECT_TRUE(std::isnan(unirep::models::bf16_to_float(unirep::models::float_to_bf16(f))));
}

// bf16 keeps the residual stream, norms and outputs in float32 and rounds the GEMM operands to 8
// mantissa bits: features stay within about a percent of float32 (docs/performance.md, "bf16").
TEST(FastPathBf16, StaysCloseToFloat32OnEveryBlockKindAndOddSizes) {
  if (!unirep::models::cpu_has_bf16()) GTEST_SKIP() << "this CPU has no native bfloat16 (AVX512-BF16 or AMX)";
  auto model = random_deployed(small_config(3, 10), 7);
  FastUniRepLKNet fp32(*model), bf16(*model, unirep::models::Precision::BFloat16);
  EXPECT_EQ(bf16.precision(), unirep::models::Precision::BFloat16);
  torch::InferenceMode guard;
  for (auto [n, h, w] : {std::tuple<int64_t, int64_t, int64_t>{1, 64, 64}, {3, 37, 50}}) {
    auto x = torch::randn({n, 3, h, w});
    const double pooled = relative_error(bf16.forward(x, OutputMode::Pooled), fp32.forward(x, OutputMode::Pooled));
    const double logits = relative_error(bf16.forward(x), fp32.forward(x));
    EXPECT_LT(pooled, 0.02) << n << "x" << h << "x" << w;
    EXPECT_LT(logits, 0.02) << n << "x" << h << "x" << w;
    EXPECT_GT(pooled, 0.0) << "bf16 ran in float32";
    auto stages = bf16.forward_stages(x), ref = fp32.forward_stages(x);
    for (int i = 0; i < 4; ++i) EXPECT_LT(relative_error(stages[i], ref[i]), 0.02) << "stage " << i;
  }
  // Weights are packed once, in bfloat16: about half of float32's.
  EXPECT_LT(bf16.memory_use().weight_bytes, fp32.memory_use().weight_bytes * 3 / 4);
}

TEST(FastPathBf16, OfficialVariantFeaturesWithTwoThreads) {
  if (!unirep::models::cpu_has_bf16()) GTEST_SKIP() << "this CPU has no native bfloat16 (AVX512-BF16 or AMX)";
  auto model = random_deployed(unirep::models::variant_config("a"), 3);
  FastUniRepLKNet fp32(*model), bf16(*model, unirep::models::Precision::BFloat16);
  const int before = unirep::sdk::configure_threads(2);
  torch::InferenceMode guard;
  auto x = torch::randn({2, 3, 96, 96});
  const double err = relative_error(bf16.forward(x, OutputMode::Pooled), fp32.forward(x, OutputMode::Pooled));
  std::printf("A, 96 px, batch 2: pooled features' relative error bf16 vs fp32 %.5f\n", err);
  EXPECT_LT(err, 0.02);
  unirep::sdk::configure_threads(before);
}

// Run by the fast_path_on_avx2 test (oneDNN capped at AVX2): bf16 is refused, not run slowly.
TEST(FastPathBf16, RefusedWhereTheCpuHasNoNativeBfloat16) {
  if (unirep::models::cpu_has_bf16()) GTEST_SKIP() << "this CPU has native bfloat16; see fast_path_on_avx2";
  auto model = random_deployed(small_config(3, 10), 7);
  try {
    FastUniRepLKNet bf16(*model, unirep::models::Precision::BFloat16);
    FAIL() << "bf16 was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("AVX512-BF16"), std::string::npos) << e.what();
  }
}
