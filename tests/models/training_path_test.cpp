// The fast training path (models/fast/fast_training_ops.h) against LibTorch autograd: every op's
// output and gradients, then whole train-structure backbones (every block kind: kernels 0, 3, 5, 7,
// 13 with their dilated branches; odd sizes; batch > 1; drop path on and off), held to the
// fixtures' tolerance, max|fast - ref| <= 5e-5 * max(1, max|ref|) (docs/testing.md).
#include "models/backbone/batch_norm.h"
#include "models/backbone/grn.h"
#include "models/backbone/layer_norm.h"
#include "models/backbone/randomize.h"
#include "models/backbone/recompute.h"
#include "models/backbone/training_ops.h"
#include "models/backbone/unireplknet.h"
#include "models/fast/fast_training_ops.h"
#include "models/fast/training_kernels.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "support/test_support.h"

using unirep::testing::within_fixture_tolerance;

namespace {

struct ConvCase {
  int64_t channels, kernel, dilation, height, width, batch;
  bool bias;
};

TEST(TrainingPath, DepthwiseConvOutputAndGradientsEqualAutograd) {
  torch::manual_seed(3);
  unirep::models::FastTrainingOps ops;
  for (const auto& c :
       {ConvCase{40, 13, 1, 14, 14, 2, false}, ConvCase{40, 5, 1, 14, 14, 2, false},
        ConvCase{40, 7, 2, 9, 11, 2, false}, ConvCase{24, 3, 3, 7, 5, 3, false}, ConvCase{13, 3, 5, 6, 9, 1, true},
        ConvCase{17, 13, 1, 3, 3, 2, true}, ConvCase{64, 3, 4, 15, 13, 2, false}}) {
    SCOPED_TRACE("C " + std::to_string(c.channels) + " k " + std::to_string(c.kernel) + " d " +
                 std::to_string(c.dilation) + " " + std::to_string(c.height) + "x" + std::to_string(c.width));
    auto x = torch::randn({c.batch, c.channels, c.height, c.width}).contiguous(at::MemoryFormat::ChannelsLast);
    auto w = torch::randn({c.channels, 1, c.kernel, c.kernel}) * 0.2;
    auto b = c.bias ? torch::randn({c.channels}) : torch::Tensor();
    auto dy = torch::randn({c.batch, c.channels, c.height, c.width});
    auto run = [&](bool fast) {
      auto xv = x.clone().requires_grad_(true), wv = w.clone().requires_grad_(true);
      auto bv = c.bias ? b.clone().requires_grad_(true) : torch::Tensor();
      const auto pad = c.dilation * (c.kernel - 1) / 2;
      auto y =
          fast ? ops.depthwise_conv(xv, wv, bv, c.dilation) : at::conv2d(xv, wv, bv, 1, pad, c.dilation, c.channels);
      (y * dy).sum().backward();
      return std::vector<torch::Tensor>{y.detach(), xv.grad(), wv.grad(), c.bias ? bv.grad() : torch::zeros({1})};
    };
    const auto fast = run(true), ref = run(false);
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_TRUE(within_fixture_tolerance(fast[i], ref[i])) << "output " << i;
  }
}

TEST(TrainingPath, LinearOutputAndGradientsEqualAutograd) {
  torch::manual_seed(4);
  unirep::models::FastTrainingOps ops;
  for (bool bias : {true, false})
    for (const auto& shape : {std::vector<int64_t>{2, 7, 5, 40}, std::vector<int64_t>{3, 1, 1, 17}}) {
      const auto in = shape.back(), out = in * 4 + 1;
      auto x = torch::randn(shape), w = torch::randn({out, in}) * 0.1, b = torch::randn({out});
      auto dy_shape = shape;
      dy_shape.back() = out;
      auto dy = torch::randn(dy_shape);
      auto run = [&](bool fast) {
        auto xv = x.clone().requires_grad_(true), wv = w.clone().requires_grad_(true);
        auto bv = bias ? b.clone().requires_grad_(true) : torch::Tensor();
        auto y = fast ? ops.linear(xv, wv, bv) : at::linear(xv, wv, bv);
        (y * dy).sum().backward();
        return std::vector<torch::Tensor>{y.detach(), xv.grad(), wv.grad(), bias ? bv.grad() : torch::zeros({1})};
      };
      const auto fast = run(true), ref = run(false);
      for (size_t i = 0; i < ref.size(); ++i) EXPECT_TRUE(within_fixture_tolerance(fast[i], ref[i])) << "output " << i;
    }
}

// bf16 GEMM operands (float32 sums): the Linear's output and gradients within bfloat16's rounding
// (8 significant bits, 0.4% per operand) of the float32 ones: 2% of the largest value.
TEST(TrainingPath, BFloat16LinearIsWithinBFloat16RoundingOfFloat32) {
  if (!unirep::models::cpu_has_bf16()) GTEST_SKIP() << "this CPU has no native bfloat16 (AVX512-BF16 or AMX)";
  torch::manual_seed(8);
  unirep::models::FastTrainingOps ops(unirep::models::Precision::BFloat16);
  auto x = torch::randn({2, 9, 7, 48}), w = torch::randn({193, 48}) * 0.1, b = torch::randn({193});
  auto dy = torch::randn({2, 9, 7, 193});
  auto run = [&](bool bf16) {
    auto xv = x.clone().requires_grad_(true), wv = w.clone().requires_grad_(true), bv = b.clone().requires_grad_(true);
    auto y = bf16 ? ops.linear(xv, wv, bv) : at::linear(xv, wv, bv);
    (y * dy).sum().backward();
    return std::vector<torch::Tensor>{y.detach(), xv.grad(), wv.grad(), bv.grad()};
  };
  const auto bf16 = run(true), ref = run(false);
  for (size_t i = 0; i < ref.size(); ++i) {
    EXPECT_EQ(bf16[i].scalar_type(), torch::kFloat) << "output " << i;
    EXPECT_TRUE(within_fixture_tolerance(bf16[i], ref[i], 2e-2)) << "output " << i;
    if (i < 3) EXPECT_FALSE(within_fixture_tolerance(bf16[i], ref[i], 1e-6)) << "output " << i << " was not rounded";
  }
}

TEST(TrainingPath, ChannelsFirstLayerNormOutputAndGradientsEqualAutograd) {
  torch::manual_seed(9);
  unirep::models::FastTrainingOps ops;
  for (const auto& shape :
       {std::vector<int64_t>{2, 12, 9, 7}, std::vector<int64_t>{3, 40, 1, 1}, std::vector<int64_t>{1, 96, 15, 17}}) {
    const auto c = shape[1];
    auto x = (torch::randn(shape) * 3 + 1).contiguous(at::MemoryFormat::ChannelsLast);
    auto w = torch::randn({c}), b = torch::randn({c}), dy = torch::randn(shape);
    auto run = [&](bool fast) {
      auto xv = x.clone().requires_grad_(true), wv = w.clone().requires_grad_(true);
      auto bv = b.clone().requires_grad_(true);
      auto y = fast ? ops.layer_norm_channels(xv, wv, bv, 1e-6)
                    : unirep::models::channels_first_layer_norm(xv, wv, bv, 1e-6);
      (y * dy).sum().backward();
      return std::vector<torch::Tensor>{y.detach(), xv.grad(), wv.grad(), bv.grad()};
    };
    const auto fast = run(true), ref = run(false);
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_TRUE(within_fixture_tolerance(fast[i], ref[i])) << "output " << i;
  }
}

TEST(TrainingPath, GeluOutputAndGradientEqualAutograd) {
  torch::manual_seed(6);
  unirep::models::FastTrainingOps ops;
  auto x = torch::randn({3, 5, 7, 33}) * 4, dy = torch::randn({3, 5, 7, 33});
  auto run = [&](bool fast) {
    auto xv = x.clone().requires_grad_(true);
    auto y = fast ? ops.gelu(xv) : at::gelu(xv);
    (y * dy).sum().backward();
    return std::vector<torch::Tensor>{y.detach(), xv.grad()};
  };
  const auto fast = run(true), ref = run(false);
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_TRUE(within_fixture_tolerance(fast[i], ref[i])) << "output " << i;
}

TEST(TrainingPath, GrnOutputAndGradientsEqualAutograd) {
  torch::manual_seed(5);
  unirep::models::FastTrainingOps ops;
  for (const auto& shape :
       {std::vector<int64_t>{2, 7, 9, 40}, std::vector<int64_t>{3, 1, 1, 17}, std::vector<int64_t>{1, 56, 56, 24}}) {
    const auto c = shape.back();
    auto x = torch::randn(shape);
    x.select(3, 1).zero_();  // a channel whose norm is 0
    auto gamma = torch::randn({1, 1, 1, c}), beta = torch::randn({1, 1, 1, c}), dy = torch::randn(shape);
    auto run = [&](bool fast) {
      auto xv = x.clone().requires_grad_(true), gv = gamma.clone().requires_grad_(true);
      auto bv = beta.clone().requires_grad_(true);
      auto y = fast ? ops.grn(xv, gv, bv) : unirep::models::grn(xv, gv, bv);
      (y * dy).sum().backward();
      return std::vector<torch::Tensor>{y.detach(), xv.grad(), gv.grad(), bv.grad()};
    };
    const auto fast = run(true), ref = run(false);
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_TRUE(within_fixture_tolerance(fast[i], ref[i])) << "output " << i;
  }
}

// The block's channel MLP (Linear, GELU, GRN, Linear) as one fused function against the four
// LibTorch ops; one hidden channel is 0 everywhere (its GRN norm is 0).
struct MlpCase {
  std::vector<int64_t> shape;
  bool second_bias;
};

std::vector<torch::Tensor> channel_mlp_step(unirep::models::TrainingOps* ops, const MlpCase& c, uint64_t seed) {
  torch::manual_seed(seed);
  const auto channels = c.shape.back(), hidden = 4 * channels;
  auto x = torch::randn(c.shape), w1 = torch::randn({hidden, channels}) * 0.3, b1 = torch::randn({hidden}) * 0.5;
  w1[2].zero_();
  b1[2].zero_();
  auto gamma = torch::randn({1, 1, 1, hidden}), beta = torch::randn({1, 1, 1, hidden});
  auto w2 = torch::randn({channels, hidden}) * 0.1, b2 = torch::randn({channels}), dy = torch::randn(c.shape);
  std::vector<torch::Tensor> leaves{x, w1, b1, gamma, beta, w2, b2};
  for (auto& t : leaves) t.requires_grad_(true);
  const auto bias2 = c.second_bias ? b2 : torch::Tensor();
  auto y = ops ? ops->channel_mlp(x, w1, b1, gamma, beta, w2, bias2)
               : at::linear(unirep::models::grn(at::gelu(at::linear(x, w1, b1)), gamma, beta), w2, bias2);
  (y * dy).sum().backward();
  std::vector<torch::Tensor> out{y.detach()};
  for (size_t i = 0; i < leaves.size(); ++i)
    out.push_back(i == 6 && !c.second_bias ? torch::zeros({1}) : leaves[i].grad());
  return out;
}

const MlpCase kMlpCases[] = {{{2, 7, 9, 40}, false}, {{3, 1, 1, 17}, true}, {{1, 15, 13, 24}, true}};

TEST(TrainingPath, ChannelMlpOutputAndGradientsEqualAutograd) {
  unirep::models::FastTrainingOps ops;
  for (const auto& c : kMlpCases) {
    SCOPED_TRACE("C " + std::to_string(c.shape.back()) + ", pixels " + std::to_string(c.shape[1] * c.shape[2]));
    const auto fast = channel_mlp_step(&ops, c, 12), ref = channel_mlp_step(nullptr, c, 12);
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_TRUE(within_fixture_tolerance(fast[i], ref[i])) << "output " << i;
  }
}

// bf16: the GEMM operands (the GRN's output and the GELU's gradient among them) rounded to bfloat16,
// everything else float32: within bfloat16 rounding of the float32 results.
TEST(TrainingPath, BFloat16ChannelMlpIsWithinBFloat16RoundingOfFloat32) {
  if (!unirep::models::cpu_has_bf16()) GTEST_SKIP() << "this CPU has no native bfloat16 (AVX512-BF16 or AMX)";
  unirep::models::FastTrainingOps ops(unirep::models::Precision::BFloat16);
  for (const auto& c : kMlpCases) {
    const auto bf16 = channel_mlp_step(&ops, c, 13), ref = channel_mlp_step(nullptr, c, 13);
    for (size_t i = 0; i < ref.size(); ++i) {
      EXPECT_EQ(bf16[i].scalar_type(), torch::kFloat) << "output " << i;
      EXPECT_TRUE(within_fixture_tolerance(bf16[i], ref[i], 3e-2)) << "output " << i;
    }
    EXPECT_FALSE(within_fixture_tolerance(bf16[0], ref[0], 1e-6)) << "the output was not rounded";
  }
}

// The Dilated Reparam Block's batch-normalized branches and their sum as one function against
// BatchNorm2d and adds: the output, every gradient and the running statistics.
std::vector<torch::Tensor> batch_norm_sum_step(unirep::models::TrainingOps* ops, int64_t branches,
                                               std::vector<int64_t> shape) {
  torch::manual_seed(21);
  std::vector<torch::Tensor> ys;
  std::vector<unirep::models::BatchNorm2d> norms;
  std::vector<unirep::models::BatchNorm2dImpl*> raw;
  auto dy = torch::randn(shape);
  for (int64_t k = 0; k < branches; ++k) {
    // One branch in NCHW memory: the function must take it through a differentiable copy.
    auto y = torch::randn(shape) * (k + 1) + k;
    ys.push_back((k == 1 ? y : y.contiguous(at::MemoryFormat::ChannelsLast)).requires_grad_(true));
    norms.emplace_back(shape[1]);
    torch::NoGradGuard no_grad;
    norms.back()->weight.normal_();
    norms.back()->bias.normal_();
    norms.back()->running_mean.normal_();
    raw.push_back(norms.back().get());
  }
  at::Tensor out;
  if (ops) {
    out = ops->batch_norm_sum(ys, raw);
  } else {
    out = norms[0]->forward(ys[0]);
    for (int64_t k = 1; k < branches; ++k) out = out + norms[k]->forward(ys[k]);
  }
  (out * dy).sum().backward();
  std::vector<torch::Tensor> result{out.detach()};
  for (int64_t k = 0; k < branches; ++k)
    for (const auto& t : {ys[k].grad(), norms[k]->weight.grad(), norms[k]->bias.grad(), norms[k]->running_mean,
                          norms[k]->running_var, norms[k]->num_batches_tracked.to(torch::kFloat)})
      result.push_back(t.clone());
  return result;
}

TEST(TrainingPath, BranchBatchNormSumEqualsBatchNormsAndAdds) {
  unirep::models::FastTrainingOps ops;
  for (const auto& shape : {std::vector<int64_t>{2, 40, 9, 11}, std::vector<int64_t>{3, 17, 1, 2}}) {
    for (int64_t branches : {1, 6}) {
      SCOPED_TRACE(std::to_string(branches) + " branches, C " + std::to_string(shape[1]));
      const auto fast = batch_norm_sum_step(&ops, branches, shape), ref = batch_norm_sum_step(nullptr, branches, shape);
      ASSERT_EQ(fast.size(), ref.size());
      for (size_t i = 0; i < ref.size(); ++i) EXPECT_TRUE(within_fixture_tolerance(fast[i], ref[i])) << "output " << i;
    }
  }
}

// A whole train-structure backbone, trained one step each way from the same weights and the same
// drop-path draws: the loss, every parameter gradient and the BatchNorm running statistics agree.
// A gradient is held to the fixture tolerance against LibTorch's float32 autograd, or, where float32
// itself is that far from the exact value (a BatchNorm over a few pixels sums terms that cancel),
// to no more than twice LibTorch's own float32 error against float64 autograd.
// With `recompute`, the fast model also recomputes its stages' activations in the backward pass.
void expect_same_training_step(const unirep::models::BackboneConfig& config, int64_t batch, int64_t size,
                               double drop_path, bool recompute = false) {
  auto make = [&] {
    unirep::models::UniRepLKNet model{unirep::models::UniRepLKNetOptions(config).drop_path_rate(drop_path)};
    unirep::models::randomize_for_checks(*model, 7);
    model->train();
    return model;
  };
  auto ref = make(), fast = make(), exact = make();
  exact->to(torch::kDouble);
  ASSERT_GT(unirep::models::set_training_ops(*fast, std::make_shared<unirep::models::FastTrainingOps>()), 0);
  ASSERT_EQ(unirep::models::set_activation_recomputation(*fast, recompute), 1);
  torch::manual_seed(11);
  const auto x = torch::randn({batch, config.in_chans, size, size});
  auto step = [&](unirep::models::UniRepLKNet& model, const torch::Tensor& input) {
    torch::manual_seed(12);  // the same drop-path draws
    auto loss = model->forward(input).square().sum();
    loss.backward();
    return loss.detach();
  };
  const auto ref_loss = step(ref, x), fast_loss = step(fast, x);
  step(exact, x.to(torch::kDouble));
  EXPECT_TRUE(within_fixture_tolerance(fast_loss, ref_loss));
  const auto ref_params = ref->named_parameters(), fast_params = fast->named_parameters();
  const auto exact_params = exact->named_parameters();
  for (const auto& p : ref_params) {
    const auto& g = fast_params[p.key()].grad();
    ASSERT_TRUE(g.defined()) << p.key();
    if (within_fixture_tolerance(g, p.value().grad())) continue;
    const auto exact_grad = exact_params[p.key()].grad().to(torch::kFloat);
    const double fast_error = unirep::testing::max_abs_diff(g, exact_grad);
    const double ref_error = unirep::testing::max_abs_diff(p.value().grad(), exact_grad);
    EXPECT_LE(fast_error, 2 * ref_error) << p.key() << ": LibTorch float32 is " << ref_error << " from float64";
  }
  const auto ref_buffers = ref->named_buffers(), fast_buffers = fast->named_buffers();
  for (const auto& b : ref_buffers)
    EXPECT_TRUE(within_fixture_tolerance(fast_buffers[b.key()].to(torch::kDouble), b.value().to(torch::kDouble)))
        << b.key();
}

unirep::models::BackboneConfig every_block_kind() {
  unirep::models::BackboneConfig c;
  c.depths = {2, 2, 2, 2};
  c.dims = {16, 24, 32, 40};
  c.kernel_sizes = {{3, 5}, {7, 0}, {13, 13}, {3, 13}};
  c.num_classes = 5;
  return c;
}

TEST(TrainingPath, BackboneStepEqualsAutogradOnEveryBlockKind) {
  at::set_num_threads(2);
  expect_same_training_step(every_block_kind(), 2, 61, 0.0);
}

TEST(TrainingPath, BackboneStepEqualsAutogradWithDropPathAndOneThread) {
  at::set_num_threads(1);
  expect_same_training_step(every_block_kind(), 3, 45, 0.3);
}

// Recomputed stages replay the drop-path draws and leave the batch-norm statistics moved once.
TEST(TrainingPath, RecomputedStagesGiveTheSameStepWithDropPath) {
  at::set_num_threads(2);
  expect_same_training_step(every_block_kind(), 3, 45, 0.3, /*recompute=*/true);
}

// On the reference path too, with a frozen stem and first stage (stage 1's input needs no gradient).
TEST(TrainingPath, RecomputedStagesOnTheReferencePathWithFrozenStages) {
  auto make = [] {
    unirep::models::UniRepLKNet model{unirep::models::UniRepLKNetOptions(every_block_kind()).drop_path_rate(0.2)};
    unirep::models::randomize_for_checks(*model, 5);
    model->train();
    for (auto& p : model->downsample_layers->parameters()) p.requires_grad_(false);
    for (auto& p : model->stages[0]->parameters()) p.requires_grad_(false);  // a frozen stage: not recomputed
    return model;
  };
  auto plain = make(), recomputed = make();
  unirep::models::set_activation_recomputation(*recomputed, true);
  const auto x = torch::randn({2, 3, 40, 40});
  for (auto* model : {&plain, &recomputed}) {
    torch::manual_seed(3);
    (*model)->forward(x).square().sum().backward();
  }
  const auto a = plain->named_parameters(), b = recomputed->named_parameters();
  for (const auto& p : a) {
    if (!p.value().requires_grad()) continue;
    ASSERT_TRUE(b[p.key()].grad().defined()) << p.key();
    EXPECT_TRUE(within_fixture_tolerance(b[p.key()].grad(), p.value().grad())) << p.key();
  }
  const auto ab = plain->named_buffers(), bb = recomputed->named_buffers();
  for (const auto& buf : ab) EXPECT_TRUE(torch::equal(bb[buf.key()], buf.value())) << buf.key();
}

}  // namespace
