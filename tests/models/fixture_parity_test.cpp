// Parity with the official PyTorch outputs in the reference fixtures' backbone folder (docs/testing.md): train
// weights, deploy weights, and our own reparameterization of the train weights.
#include "models/io/npy.h"
#include "models/io/safetensors.h"
#include "models/backbone/state_dict.h"
#include "sdk/backbone_loader.h"

#include <gtest/gtest.h>
#include <torch/types.h>

#include "support/test_support.h"

using unirep::testing::fixture;
using unirep::testing::within_fixture_tolerance;

namespace {

class FixtureParity : public ::testing::TestWithParam<std::string> {
 protected:
  std::string path(const std::string& suffix) const { return fixture("backbone/" + GetParam() + suffix); }

  unirep::sdk::LoadedBackbone load(const std::string& weights, bool reparam) const {
    unirep::sdk::BackboneSpec spec;
    spec.model = path(".config.json");
    spec.weights = weights;
    spec.reparameterize = reparam;
    return unirep::sdk::load_backbone(spec);
  }
};

at::Tensor run(unirep::models::UniRepLKNet& model, const at::Tensor& x) {
  torch::InferenceMode guard;
  return model->forward(x);
}

}  // namespace

TEST_P(FixtureParity, TrainStructureLogitsAndStages) {
  UNIREP_REQUIRE_FIXTURES();
  auto loaded = load(path(".train.pth"), false);
  EXPECT_TRUE(loaded.loaded_train_structure);
  auto x = unirep::io::read_npy(path(".input.npy"));
  EXPECT_TRUE(within_fixture_tolerance(run(loaded.model, x), unirep::io::read_npy(path(".logits.npy"))));
  torch::InferenceMode guard;
  auto stages = loaded.model->forward_stages(x);
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(within_fixture_tolerance(stages[i], unirep::io::read_npy(path(".stage" + std::to_string(i) + ".npy"))))
        << "stage " << i;
}

TEST_P(FixtureParity, DeployStructureLogits) {
  UNIREP_REQUIRE_FIXTURES();
  auto loaded = load(path(".deploy.pth"), false);
  EXPECT_FALSE(loaded.loaded_train_structure);
  auto x = unirep::io::read_npy(path(".input.npy"));
  EXPECT_TRUE(within_fixture_tolerance(run(loaded.model, x), unirep::io::read_npy(path(".deploy_logits.npy"))));
}

TEST_P(FixtureParity, OwnReparameterizationMatchesOfficialDeploy) {
  UNIREP_REQUIRE_FIXTURES();
  auto loaded = load(path(".train.pth"), true);
  ASSERT_TRUE(loaded.model->deployed());
  auto x = unirep::io::read_npy(path(".input.npy"));
  EXPECT_TRUE(within_fixture_tolerance(run(loaded.model, x), unirep::io::read_npy(path(".deploy_logits.npy"))));

  // Our fused tensors carry the official deploy names and agree with the official fused values.
  auto ours = unirep::models::state_dict(*loaded.model);
  auto official = unirep::sdk::read_weights(path(".deploy.pth"));
  ASSERT_EQ(ours.size(), official.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_EQ(ours[i].name, official[i].name);
    if (ours[i].name == official[i].name)
      EXPECT_TRUE(within_fixture_tolerance(ours[i].tensor, official[i].tensor, 1e-5)) << ours[i].name;
  }
}

TEST_P(FixtureParity, StateDictKeysAndOrderMatchTheOfficialModel) {
  UNIREP_REQUIRE_FIXTURES();
  auto loaded = load(path(".train.pth"), false);
  auto ours = unirep::models::state_dict(*loaded.model);
  auto official = unirep::sdk::read_weights(path(".train.pth"));
  ASSERT_EQ(ours.size(), official.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_EQ(ours[i].name, official[i].name) << i;
    EXPECT_EQ(ours[i].tensor.sizes(), official[i].tensor.sizes()) << ours[i].name;
  }
}

INSTANTIATE_TEST_SUITE_P(Backbone, FixtureParity, ::testing::Values("tiny_mono", "unireplknet_a"));

TEST(FixtureParitySafetensors, DeployCopyGivesTheSameLogits) {
  UNIREP_REQUIRE_FIXTURES();
  unirep::sdk::BackboneSpec spec;
  spec.model = fixture("backbone/tiny_mono.config.json");
  spec.weights = fixture("backbone/tiny_mono.deploy.safetensors");
  auto loaded = unirep::sdk::load_backbone(spec);
  auto x = unirep::io::read_npy(fixture("backbone/tiny_mono.input.npy"));
  EXPECT_TRUE(within_fixture_tolerance(run(loaded.model, x),
                                       unirep::io::read_npy(fixture("backbone/tiny_mono.deploy_logits.npy"))));
}
