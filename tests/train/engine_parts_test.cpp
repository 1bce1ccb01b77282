// Unit tests of the training engine's parts: sampler, loader, schedule, losses, optimizer groups.
#include "models/backbone/unireplknet.h"
#include "sdk/train/data_loader.h"
#include "sdk/train/losses.h"
#include "sdk/train/lr_schedule.h"
#include "sdk/train/optimizer.h"
#include "sdk/train/task.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/optim/adamw.h>
#include <torch/types.h>

#include <cmath>
#include <map>
#include <set>

using namespace unirep::sdk;

TEST(Sampler, DeterministicShuffledAndShardedLikeOneBigBatch) {
  SamplerOptions one{true, 42, false, 0, 1};
  auto a = epoch_batches(103, 10, 3, one), b = epoch_batches(103, 10, 3, one);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, epoch_batches(103, 10, 4, one));  // another epoch, another order
  std::multiset<size_t> seen;
  for (auto& batch : a) seen.insert(batch.begin(), batch.end());
  EXPECT_EQ(seen.size(), 103u);
  EXPECT_EQ(std::set<size_t>(seen.begin(), seen.end()).size(), 103u);
  // Two ranks at batch 5 cover, step by step, what one rank at batch 10 covers.
  SamplerOptions r0{true, 42, true, 0, 2}, r1{true, 42, true, 1, 2}, single{true, 42, true, 0, 1};
  auto s = epoch_batches(100, 10, 1, single), x = epoch_batches(100, 5, 1, r0), y = epoch_batches(100, 5, 1, r1);
  ASSERT_EQ(s.size(), x.size());
  for (size_t k = 0; k < s.size(); ++k) {
    std::set<size_t> both(x[k].begin(), x[k].end());
    both.insert(y[k].begin(), y[k].end());
    EXPECT_EQ(both, std::set<size_t>(s[k].begin(), s[k].end())) << "step " << k;
  }
  EXPECT_EQ(epoch_batches(103, 10, 0, SamplerOptions{false, 0, true, 0, 1}).size(), 10u);  // drop_last
}

TEST(DataLoader, ThreadedLoadingGivesTheSameBatchesInOrder) {
  auto data = std::make_shared<TensorDataset>(at::arange(50, at::kFloat).reshape({50, 1}), at::arange(50));
  DataLoaderOptions threaded{8, 3, 2, SamplerOptions{true, 7, false, 0, 1}};
  DataLoaderOptions inline_{8, 0, 2, SamplerOptions{true, 7, false, 0, 1}};
  DataLoader a(data, threaded), b(data, inline_);
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    a.start_epoch(epoch, 1);
    b.start_epoch(epoch, 1);
    int batches = 0;
    while (auto x = a.next()) {
      auto y = b.next();
      ASSERT_TRUE(y.has_value());
      EXPECT_TRUE(at::equal(x->input, y->input));
      EXPECT_TRUE(at::equal(x->target, x->input.squeeze(1).to(at::kLong)));
      ++batches;
    }
    EXPECT_FALSE(b.next().has_value());
    EXPECT_EQ(batches, 6);  // 7 batches, the first skipped
  }
}

TEST(DataLoader, WorkerErrorsReachTheConsumer) {
  struct Broken : Dataset {
    size_t size() const override { return 10; }
    Example get(size_t i) const override {
      if (i == 4) throw std::runtime_error("sample 4 is corrupt");
      return {at::zeros({2}), at::zeros({}, at::kLong)};
    }
  };
  DataLoader loader(std::make_shared<Broken>(), DataLoaderOptions{2, 2, 2, SamplerOptions{false, 0, false, 0, 1}});
  loader.start_epoch(0);
  EXPECT_THROW(
      {
        while (loader.next()) {
        }
      },
      std::runtime_error);
}

TEST(LrSchedule, WarmupThenCosine) {
  LrSchedule s{1.0, 0.0, 0.0, 10, 110};
  EXPECT_DOUBLE_EQ(s.at(0), 0.0);
  EXPECT_DOUBLE_EQ(s.at(5), 0.5);
  EXPECT_DOUBLE_EQ(s.at(10), 1.0);
  EXPECT_NEAR(s.at(60), 0.5, 1e-12);
  EXPECT_NEAR(s.at(110), 0.0, 1e-12);
}

TEST(Losses, LabelSmoothingAndSoftTargets) {
  auto logits = at::randn({4, 5});
  auto classes = at::tensor({0L, 3L, 4L, 1L});
  auto logp = at::log_softmax(logits, -1);
  auto hard = at::one_hot(classes, 5).to(at::kFloat);
  auto smoothed = hard * 0.9 + 0.1 / 5;
  EXPECT_NEAR(cross_entropy(logits, classes, 0.1).item<double>(), (-(smoothed * logp).sum(-1)).mean().item<double>(),
              1e-6);
  EXPECT_NEAR(soft_target_cross_entropy(logits, smoothed).item<double>(),
              cross_entropy(logits, classes, 0.1).item<double>(), 1e-6);
  EXPECT_NEAR(cross_entropy(logits, classes).item<double>(), at::nll_loss(logp, classes).item<double>(), 1e-6);
  EXPECT_THROW(parse_loss("hinge"), std::invalid_argument);
}

TEST(Optimizer, AdamWMatchesLibTorchAndSkipsDecayWhereTheRecipesDo) {
  torch::manual_seed(0);
  auto w = torch::randn({4, 3}, torch::requires_grad());
  auto b = torch::randn({4}, torch::requires_grad());
  auto w2 = w.detach().clone().requires_grad_(), b2 = b.detach().clone().requires_grad_();
  Optimizer ours({ParamGroup{{"fc.weight"}, {w}, 0.05, 1.0}, ParamGroup{{"fc.bias"}, {b}, 0.0, 1.0}},
                 OptimizerOptions{});
  torch::optim::AdamW ref(
      {torch::optim::OptimizerParamGroup(
           {w2}, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(0.01).weight_decay(0.05))),
       torch::optim::OptimizerParamGroup(
           {b2}, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(0.01).weight_decay(0.0)))});
  auto x = torch::randn({8, 3});
  for (int i = 0; i < 5; ++i) {
    ours.zero_grad();
    (torch::tanh(at::linear(x, w, b))).pow(2).sum().backward();
    ours.step(0.01);
    ref.zero_grad();
    (torch::tanh(at::linear(x, w2, b2))).pow(2).sum().backward();
    ref.step();
  }
  EXPECT_LT((w - w2).abs().max().item<double>(), 1e-6);
  EXPECT_LT((b - b2).abs().max().item<double>(), 1e-6);

  // Weight decay groups on a real backbone.
  unirep::models::BackboneConfig c = unirep::models::variant_config("a");
  unirep::models::UniRepLKNet net{unirep::models::UniRepLKNetOptions(c)};
  OptimizerOptions opts;
  opts.layer_decay = 0.8;
  std::map<std::string, std::pair<double, double>> decay_and_scale;
  for (const auto& g : make_param_groups(*net, opts))
    for (const auto& n : g.names) decay_and_scale[n] = {g.weight_decay, g.lr_scale};
  for (const char* exempt : {"stages.0.0.gamma", "stages.0.0.act.1.gamma", "stages.0.0.act.1.beta", "norm.weight",
                             "head.bias", "stages.1.0.dwconv.origin_bn.weight", "downsample_layers.0.1.weight"})
    EXPECT_EQ(decay_and_scale.at(exempt).first, 0.0) << exempt;
  for (const char* decayed : {"stages.0.0.pwconv1.1.weight", "stages.1.0.dwconv.lk_origin.weight", "head.weight",
                              "stages.0.0.se.down.weight"})
    EXPECT_EQ(decay_and_scale.at(decayed).first, 0.05) << decayed;
  // Layer-wise decay: the head keeps the full rate, the stem gets 0.8^13.
  EXPECT_DOUBLE_EQ(decay_and_scale.at("head.weight").second, 1.0);
  EXPECT_NEAR(decay_and_scale.at("downsample_layers.0.0.weight").second, std::pow(0.8, 13), 1e-12);
  EXPECT_EQ(layer_id_for("downsample_layers.0.0.weight"), 0);
  EXPECT_EQ(layer_id_for("stages.1.0.gamma"), 2);
  EXPECT_EQ(layer_id_for("stages.2.7.pwconv1.1.weight"), 5);
  EXPECT_EQ(layer_id_for("stages.3.0.gamma"), 12);
  EXPECT_EQ(layer_id_for("head.weight"), 13);
}

TEST(Freezing, HeadOnlyAndLastStages) {
  EXPECT_TRUE(trainable_under_freeze("head.weight", 0));
  EXPECT_TRUE(trainable_under_freeze("norm.bias", 0));
  EXPECT_FALSE(trainable_under_freeze("stages.3.0.gamma", 0));
  EXPECT_TRUE(trainable_under_freeze("stages.3.0.gamma", 1));
  EXPECT_TRUE(trainable_under_freeze("downsample_layers.3.0.weight", 1));
  EXPECT_FALSE(trainable_under_freeze("stages.2.0.gamma", 1));
  EXPECT_TRUE(trainable_under_freeze("backbone.stages.0.0.gamma", -1));
}

// Cross entropy takes class indices or probability vectors (mixup), like torch's cross_entropy.
TEST(Losses, CrossEntropyAcceptsProbabilityTargets) {
  auto logits = at::randn({5, 4});
  auto classes = at::tensor({0, 3, 1, 2, 3}, at::kLong);
  auto one_hot = at::one_hot(classes, 4).to(at::kFloat);
  for (double eps : {0.0, 0.1}) {
    auto a = compute_loss(LossKind::CrossEntropy, logits, classes, eps).item<double>();
    auto b = compute_loss(LossKind::CrossEntropy, logits, one_hot, eps).item<double>();
    EXPECT_NEAR(a, b, 1e-6) << "label smoothing " << eps;
  }
}

// A saved optimizer state whose per-parameter entry lacks 'step' (a hostile or hand-edited
// checkpoint) is refused with a message, not dereferenced.
TEST(Optimizer, StateWithoutStepIsRefused) {
  auto w = torch::randn({4, 3}, torch::requires_grad());
  Optimizer opt({ParamGroup{{"fc.weight"}, {w}, 0.05, 1.0}}, OptimizerOptions{});
  opt.zero_grad();
  at::linear(torch::randn({2, 3}), w).sum().backward();
  opt.step(0.01);
  auto state = opt.state_dict();
  opt.load_state_dict(state);  // the round trip itself is fine
  auto stripped = unirep::io::PyValue::dict();
  for (auto& item : state.find("state")->dict_items()) {
    auto entry = unirep::io::PyValue::dict();
    for (auto& field : item.second.dict_items())
      if (field.first.as_string() != "step") entry.dict_items().push_back(field);
    stripped.dict_items().push_back({item.first, entry});
  }
  state.set("state", stripped);
  try {
    opt.load_state_dict(state);
    FAIL() << "a state without 'step' was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'step'"), std::string::npos) << e.what();
  }
}
