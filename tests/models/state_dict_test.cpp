// Loading weights: wrappers seen in the wild, strict and non-strict reports, structure detection.
#include "models/io/safetensors.h"
#include "models/io/torch_checkpoint.h"
#include "models/backbone/randomize.h"
#include "models/backbone/state_dict.h"
#include "sdk/backbone_loader.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "support/test_support.h"

using namespace unirep;
using unirep::testing::TempDir;

namespace {
models::BackboneConfig small() {
  models::BackboneConfig c;
  c.depths = {1, 1, 1, 1};
  c.dims = {8, 8, 8, 8};
  c.kernel_sizes = {{3}, {9}, {0}, {5}};
  c.num_classes = 3;
  return c;
}
}  // namespace

TEST(StateDict, WrappersAndPrefixesFromTheWild) {
  models::UniRepLKNet net{models::UniRepLKNetOptions(small())};
  models::randomize_for_checks(*net, 1);
  auto sd = models::state_dict(*net);

  auto with_prefix = [&](const std::string& prefix, bool openmixup) {
    io::NamedTensors out;
    for (const auto& nt : sd) {
      std::string name = nt.name;
      if (openmixup) name = name.rfind("head.", 0) == 0 ? "head.fc." + name.substr(5) : "backbone." + name;
      out.push_back({prefix + name, nt.tensor});
    }
    return out;
  };
  std::vector<std::pair<std::string, io::PyValue>> cases;
  cases.emplace_back("plain", io::state_dict_value(sd));
  auto model_wrapped = io::PyValue::dict();
  model_wrapped.set("model", io::state_dict_value(with_prefix("module.", false)));
  model_wrapped.set("epoch", io::PyValue::integer(300));
  cases.emplace_back("model+module.", model_wrapped);
  auto mixup = io::PyValue::dict();
  mixup.set("meta", io::PyValue::dict());
  mixup.set("state_dict", io::state_dict_value(with_prefix("", true)));
  cases.emplace_back("openmixup", mixup);

  for (const auto& [name, ck] : cases) {
    std::vector<std::string> notes;
    auto extracted = models::extract_state_dict(ck, name, &notes);
    models::UniRepLKNet fresh{models::UniRepLKNetOptions(small())};
    auto report = models::load_state_dict(*fresh, extracted);
    EXPECT_TRUE(report.clean()) << name << "\n" << report.describe();
    auto back = models::state_dict(*fresh);
    for (size_t i = 0; i < sd.size(); ++i)
      EXPECT_TRUE(at::equal(back[i].tensor, sd[i].tensor)) << name << " " << sd[i].name;
  }
  EXPECT_THROW(models::extract_state_dict(io::PyValue::dict(), "empty.pth"), std::invalid_argument);
}

TEST(StateDict, StrictReportsEveryKeyAndNonStrictLoadsTheRest) {
  models::UniRepLKNet net{models::UniRepLKNetOptions(small())};
  auto sd = models::state_dict(*net);
  io::NamedTensors edited;
  for (const auto& nt : sd) {
    if (nt.name == "stages.0.0.gamma") continue;  // missing
    if (nt.name == "head.weight")
      edited.push_back({nt.name, at::zeros({4, 8})});  // shape mismatch
    else
      edited.push_back({nt.name, at::ones_like(nt.tensor)});
  }
  edited.push_back({"stages.9.0.extra", at::zeros({1})});  // unexpected
  models::UniRepLKNet target{models::UniRepLKNetOptions(small())};
  try {
    models::load_state_dict(*target, edited, /*strict=*/true);
    FAIL() << "strict load accepted a mismatching state dict";
  } catch (const models::StateDictError& e) {
    EXPECT_EQ(e.report().missing, std::vector<std::string>{"stages.0.0.gamma"});
    EXPECT_EQ(e.report().unexpected, std::vector<std::string>{"stages.9.0.extra"});
    ASSERT_EQ(e.report().mismatched.size(), 1u);
    EXPECT_NE(e.report().mismatched[0].find("head.weight: file 4x8, model 3x8"), std::string::npos);
  }
  auto before = models::state_dict(*target);
  EXPECT_FALSE(at::equal(before[0].tensor, at::ones_like(before[0].tensor)));
  auto report = models::load_state_dict(*target, edited, /*strict=*/false);
  EXPECT_FALSE(report.clean());
  EXPECT_TRUE(at::equal(models::state_dict(*target)[0].tensor, at::ones_like(before[0].tensor)));
}

TEST(StateDict, StructureDetection) {
  models::UniRepLKNet train{models::UniRepLKNetOptions(small())};
  EXPECT_EQ(models::detect_structure(models::state_dict(*train)), models::Structure::Train);
  train->reparameterize();
  EXPECT_EQ(models::detect_structure(models::state_dict(*train)), models::Structure::Deploy);
  models::UniRepLKNet dense{models::UniRepLKNetOptions(small()).head_kind(models::HeadKind::StageNorms)};
  EXPECT_TRUE(models::has_stage_norm_keys(models::state_dict(*dense)));
}

TEST(BackboneLoader, NamedVariantTakesClassesAndChannelsFromTheWeights) {
  TempDir tmp;
  auto c = models::variant_config("a");
  c.in_chans = 2;
  c.num_classes = 7;
  models::UniRepLKNet net{models::UniRepLKNetOptions(c)};
  sdk::write_weights(tmp.file("w.safetensors"), models::state_dict(*net));
  sdk::BackboneSpec spec;
  spec.model = "a";
  spec.weights = tmp.file("w.safetensors");
  auto loaded = sdk::load_backbone(spec);
  EXPECT_EQ(loaded.model->config().in_chans, 2);
  EXPECT_EQ(loaded.model->config().num_classes, 7);
  EXPECT_EQ(loaded.notes.size(), 2u);
  spec.num_classes = 5;  // an explicit override that disagrees is a strict-load error naming the key
  try {
    sdk::load_backbone(spec);
    FAIL();
  } catch (const models::StateDictError& e) {
    EXPECT_NE(std::string(e.what()).find("head.weight"), std::string::npos);
  }
}
