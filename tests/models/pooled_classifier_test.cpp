#include "models/heads/pooled_classifier.h"
#include "models/backbone/randomize.h"
#include "models/backbone/state_dict.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/types.h>

#include "support/test_support.h"

using namespace unirep::models;

TEST(PooledClassifier, NamesShapesAndReparameterization) {
  auto cfg = variant_config("a");
  cfg.in_chans = 1;
  PooledClassifier model{PooledClassifierOptions(cfg, 35)};
  auto sd = state_dict(*model);
  bool has_head_norm = false, has_backbone_norm = false;
  for (const auto& nt : sd) {
    has_head_norm |= nt.name == "mlp_head.0.weight";
    has_backbone_norm |= nt.name == "backbone.norm.weight" || nt.name == "backbone.head.weight";
    EXPECT_TRUE(nt.name.rfind("backbone.", 0) == 0 || nt.name.rfind("mlp_head.", 0) == 0) << nt.name;
  }
  EXPECT_TRUE(has_head_norm);
  EXPECT_FALSE(has_backbone_norm);

  randomize_for_checks(*model, 4);
  model->eval();
  auto x = torch::randn({2, 1, 128, 128});
  torch::InferenceMode guard;
  auto before = model->forward(x);
  EXPECT_EQ(before.sizes(), (std::vector<int64_t>{2, 35}));
  // The head is LayerNorm(eps 1e-5) + Linear on the plain spatial mean of the last stage.
  auto pooled = model->backbone->forward_stages(x).back().mean({2, 3});
  auto expected = at::linear(at::layer_norm(pooled, {320}, model->head_norm->weight, model->head_norm->bias, 1e-5),
                             model->head_fc->weight, model->head_fc->bias);
  EXPECT_TRUE(unirep::testing::within_fixture_tolerance(before, expected, 1e-6));
  model->reparameterize();
  EXPECT_TRUE(unirep::testing::within_fixture_tolerance(model->forward(x), before, 2e-5));
  PooledClassifier deploy{PooledClassifierOptions(cfg, 35).deploy(true)};
  EXPECT_TRUE(load_state_dict(*deploy, state_dict(*model)).clean());
}
