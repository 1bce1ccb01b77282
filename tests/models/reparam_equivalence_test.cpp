// Re-parameterization must not change what the network computes (eval mode), for every kernel
// size, random layouts, odd and non-square inputs, batch 1 and 3.
#include "models/backbone/dilated_reparam_block.h"
#include "models/backbone/randomize.h"
#include "models/backbone/state_dict.h"
#include "models/backbone/unireplknet.h"
#include "models/backbone/unireplknet_block.h"

#include <gtest/gtest.h>
#include <torch/types.h>

#include <random>

#include "support/test_support.h"

using namespace unirep::models;
using unirep::testing::within_fixture_tolerance;

namespace {

// Runs f() on m in eval mode without autograd.
template <typename F>
auto eval(torch::nn::Module& m, F f) {
  m.eval();
  torch::InferenceMode guard;
  return f();
}

}  // namespace

class BlockReparam : public ::testing::TestWithParam<int64_t> {};

TEST_P(BlockReparam, BlockOutputUnchanged) {
  const int64_t k = GetParam();
  torch::manual_seed(k);
  UniRepLKNetBlock block(UniRepLKNetBlockOptions(12, k));
  randomize_for_checks(*block, 100 + k);
  for (auto shape :
       {std::vector<int64_t>{1, 12, 9, 9}, std::vector<int64_t>{3, 12, 7, 13}, std::vector<int64_t>{2, 12, 20, 5}}) {
    auto x = torch::randn(shape);
    auto before = eval(*block, [&] { return block->forward(x); });
    UniRepLKNetBlock fused(UniRepLKNetBlockOptions(12, k));
    load_state_dict(*fused, state_dict(*block));
    fused->reparameterize();
    EXPECT_TRUE(fused->deployed());
    auto after = eval(*fused, [&] { return fused->forward(x); });
    EXPECT_TRUE(within_fixture_tolerance(after, before, 1e-5)) << "k=" << k << " shape " << x.sizes();
  }
}

TEST_P(BlockReparam, FusedStateLoadsIntoADeployBuiltBlock) {
  const int64_t k = GetParam();
  UniRepLKNetBlock block(UniRepLKNetBlockOptions(8, k));
  randomize_for_checks(*block, 7);
  auto x = torch::randn({2, 8, 11, 6});
  auto before = eval(*block, [&] { return block->forward(x); });
  block->reparameterize();
  UniRepLKNetBlock deploy(UniRepLKNetBlockOptions(8, k).deploy(true));
  auto report = load_state_dict(*deploy, state_dict(*block));  // strict: names and shapes agree
  EXPECT_TRUE(report.clean());
  EXPECT_TRUE(within_fixture_tolerance(eval(*deploy, [&] { return deploy->forward(x); }), before, 1e-5));
}

INSTANTIATE_TEST_SUITE_P(EveryKernelSize, BlockReparam, ::testing::Values(0, 3, 5, 7, 9, 11, 13, 15, 17));

TEST(DilatedReparamBlock, KernelFiveBranchTableMerges) {
  // K = 5 is a plain conv inside networks, but the block itself supports it (docs/backbone.md).
  DilatedReparamBlock drb(6, 5, false);
  randomize_for_checks(*drb, 3);
  auto x = torch::randn({1, 6, 10, 10});
  auto before = eval(*drb, [&] { return drb->forward(x); });
  drb->merge_branches();
  EXPECT_TRUE(drb->merged());
  EXPECT_TRUE(within_fixture_tolerance(eval(*drb, [&] { return drb->forward(x); }), before, 1e-5));
}

TEST(NetworkReparam, RandomLayoutsOddAndNonSquareInputs) {
  std::mt19937 rng(1234);
  const std::vector<int64_t> kernels = {0, 3, 5, 7, 9, 11, 13, 15, 17};
  for (int trial = 0; trial < 4; ++trial) {
    BackboneConfig c;
    for (int s = 0; s < 4; ++s) {
      const int64_t depth = 1 + rng() % 3;
      c.depths.push_back(depth);
      c.dims.push_back(4 * (1 + rng() % 5));
      std::vector<int64_t> ks;
      for (int64_t b = 0; b < depth; ++b) ks.push_back(kernels[rng() % kernels.size()]);
      c.kernel_sizes.push_back(ks);
    }
    c.in_chans = 1 + rng() % 4;
    c.num_classes = 1 + rng() % 9;
    UniRepLKNet net{UniRepLKNetOptions(c)};
    randomize_for_checks(*net, trial);
    for (auto shape : {std::vector<int64_t>{1, c.in_chans, 37, 29}, std::vector<int64_t>{3, c.in_chans, 64, 48},
                       std::vector<int64_t>{1, c.in_chans, 5, 71}}) {
      auto x = torch::randn(shape);
      auto before = eval(*net, [&] { return net->forward(x); });
      UniRepLKNet copy{UniRepLKNetOptions(c)};
      load_state_dict(*copy, state_dict(*net));
      copy->reparameterize();
      auto after = eval(*copy, [&] { return copy->forward(x); });
      EXPECT_TRUE(within_fixture_tolerance(after, before, 2e-5)) << c.to_json() << " input " << x.sizes();
      // The fused weights load strictly into a network built directly in the deploy structure.
      UniRepLKNet deploy(UniRepLKNetOptions(c).deploy(true));
      EXPECT_TRUE(load_state_dict(*deploy, state_dict(*copy)).clean());
    }
  }
}

TEST(NetworkReparam, PooledAndStageOutputsAlsoAgree) {
  auto c = variant_config("a");
  c.num_classes = 10;
  UniRepLKNet net(UniRepLKNetOptions(c).head_kind(HeadKind::StageNorms));
  randomize_for_checks(*net, 5);
  auto x = torch::randn({2, 3, 65, 47});
  auto before = eval(*net, [&] { return net->forward_stages(x, true); });
  auto pooled_before = eval(*net, [&] { return net->forward(x, OutputMode::Pooled); });
  net->reparameterize();
  auto after = eval(*net, [&] { return net->forward_stages(x, true); });
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(within_fixture_tolerance(after[i], before[i], 2e-5)) << i;
  EXPECT_TRUE(
      within_fixture_tolerance(eval(*net, [&] { return net->forward(x, OutputMode::Pooled); }), pooled_before, 2e-5));
  EXPECT_THROW(net->forward(x, OutputMode::Logits), std::invalid_argument);
}

TEST(NetworkReparam, TrainingModeUsesBatchStatisticsAndDropPath) {
  auto c = variant_config("a");
  c.num_classes = 4;
  UniRepLKNet net(UniRepLKNetOptions(c).drop_path_rate(0.5));
  randomize_for_checks(*net, 9);
  net->train();
  auto x = torch::randn({4, 3, 32, 32});
  torch::manual_seed(1);
  auto a = net->forward(x);
  torch::manual_seed(2);
  auto b = net->forward(x);
  EXPECT_GT((a - b).abs().max().item<double>(), 1e-4) << "drop path should make training passes differ";
  a.sum().backward();
  for (const auto& p : net->parameters()) ASSERT_TRUE(p.grad().defined());
}
