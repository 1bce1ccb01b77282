#include "models/backbone/backbone_config.h"
#include "models/backbone/randomize.h"
#include "models/backbone/unireplknet.h"

#include <torch/types.h>

#include <regex>

#include <gtest/gtest.h>

#include "support/test_support.h"

using unirep::models::BackboneConfig;
using unirep::models::config_from_json_text;
using unirep::models::variant_config;

TEST(BackboneConfig, OfficialVariantsHaveOfficialLayouts) {
  auto a = variant_config("A");
  EXPECT_EQ(a.dims, (std::vector<int64_t>{40, 80, 160, 320}));
  EXPECT_EQ(a.depths, (std::vector<int64_t>{2, 2, 6, 2}));
  EXPECT_EQ(a.kernel_sizes[0], (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(a.kernel_sizes[2], std::vector<int64_t>(6, 13));
  auto t = variant_config("t");
  EXPECT_EQ(t.depths, (std::vector<int64_t>{3, 3, 18, 3}));
  EXPECT_EQ(t.kernel_sizes[2][0], 13);
  EXPECT_EQ(t.kernel_sizes[2][1], 3);
  EXPECT_EQ(t.kernel_sizes[2][17], 3);
  auto xl = variant_config("XL");
  EXPECT_EQ(xl.dims, (std::vector<int64_t>{256, 512, 1024, 2048}));
  EXPECT_EQ(xl.kernel_sizes[2].size(), 27u);
  EXPECT_EQ(xl.kernel_sizes[2][3], 13);
  EXPECT_EQ(xl.kernel_sizes[2][4], 3);
  EXPECT_EQ(xl.kernel_sizes[3], (std::vector<int64_t>{13, 13, 13}));
  for (const auto& name : unirep::models::variant_names()) EXPECT_NO_THROW(variant_config(name).validate());
}

TEST(BackboneConfig, UnknownVariantListsKnownNames) {
  try {
    variant_config("zz");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("xl"), std::string::npos) << e.what();
  }
}

TEST(BackboneConfig, ParsesFixtureConfig) {
  UNIREP_REQUIRE_FIXTURES();
  auto c = unirep::models::load_config_file(unirep::testing::fixture("backbone/tiny_mono.config.json"));
  EXPECT_EQ(c.in_chans, 1);
  EXPECT_EQ(c.num_classes, 5);
  EXPECT_EQ(c.kernel_sizes[2], (std::vector<int64_t>{13, 3}));
  auto a = unirep::models::load_config_file(unirep::testing::fixture("backbone/unireplknet_a.config.json"));
  auto official = variant_config("a");
  EXPECT_EQ(a.dims, official.dims);
  EXPECT_EQ(a.kernel_sizes, official.kernel_sizes);
}

TEST(BackboneConfig, JsonRoundTrip) {
  auto s = variant_config("s");
  auto back = config_from_json_text(s.to_json());
  EXPECT_EQ(back.dims, s.dims);
  EXPECT_EQ(back.depths, s.depths);
  EXPECT_EQ(back.kernel_sizes, s.kernel_sizes);
  EXPECT_EQ(back.in_chans, s.in_chans);
  EXPECT_EQ(back.num_classes, s.num_classes);
}

TEST(BackboneConfig, RejectsInvalidConfigsWithClearMessages) {
  const std::string good_tail = R"(, "in_chans": 3, "num_classes": 10})";
  struct Case {
    std::string json;
    std::string expect;
  };
  std::vector<Case> cases = {
      {R"({"depths": [1,1,1,1], "dims": [8,16,32,64], "kernel_sizes": [[3],[3],[4],[3]])" + good_tail, "kernel size 4"},
      {R"({"depths": [1,1,1,1], "dims": [8,16,32,64], "kernel_sizes": [[3],[3],[19],[3]])" + good_tail,
       "kernel size 19"},
      {R"({"depths": [1,1,1,1], "dims": [8,16,32,64], "kernel_sizes": [[3],[3],[1],[3]])" + good_tail, "kernel size 1"},
      {R"({"depths": [1,1,2,1], "dims": [8,16,32,64], "kernel_sizes": [[3],[3],[3],[3]])" + good_tail, "depth 2"},
      {R"({"depths": [1,1,1], "dims": [8,16,32,64], "kernel_sizes": [[3],[3],[3]])" + good_tail,
       "'depths' must have 4"},
      {R"({"depths": [1,1,1,1], "dims": [8,0,32,64], "kernel_sizes": [[3],[3],[3],[3]])" + good_tail,
       "dims must be positive"},
      {R"({"depths": [1,1,1,1], "dims": [8,-16,32,64], "kernel_sizes": [[3],[3],[3],[3]])" + good_tail,
       "dims must be positive"},
      {R"({"depths": [1,1,1,1], "dims": [8,16,32,64], "kernel_sizes": [[3],[3],[3],[3]], "in_chans": 0})", "in_chans"},
      {R"({"depths": [1,1,1,1], "dims": [8,16,32,64]})", "missing key 'kernel_sizes'"},
      {R"({"depths": [1,1,1,1.5], "dims": [8,16,32,64], "kernel_sizes": [[3],[3],[3],[3]]})", "integers"},
      {R"({"depths": [1,1,1,1], "dims": [8,16,32,64], "kernel_sizes": [3,3,3,3]})", "list of lists"},
      {R"([1, 2])", "JSON object"},
      {R"({"depths": [1,1,1,1], )", "not valid JSON"},
  };
  for (const auto& c : cases) {
    try {
      config_from_json_text(c.json, "my.json");
      ADD_FAILURE() << "accepted: " << c.json;
    } catch (const std::invalid_argument& e) {
      std::string msg = e.what();
      EXPECT_EQ(msg.rfind("my.json: ", 0), 0u) << msg;
      EXPECT_NE(msg.find(c.expect), std::string::npos) << "message '" << msg << "' lacks '" << c.expect << "'";
    }
  }
}

TEST(BackboneConfig, AcceptsEveryKernelSizeTheOfficialCodeAccepts) {
  for (int64_t k : {0, 3, 5, 7, 9, 11, 13, 15, 17}) {
    BackboneConfig c;
    c.depths = {1, 1, 1, 1};
    c.dims = {8, 8, 8, 8};
    c.kernel_sizes = {{k}, {k}, {k}, {k}};
    EXPECT_NO_THROW(c.validate()) << k;
  }
}

// layer_scale_init_value: absent = official 1e-6 (no key written back), null = no layer scale
// (blocks without gamma, and still an exact reparameterization), numbers kept.
TEST(BackboneConfig, LayerScaleSettingRoundTripsAndRemovesGamma) {
  const std::string base =
      R"({"depths":[1,1,1,1],"dims":[8,8,16,16],"kernel_sizes":[[3],[7],[3],[5]],"in_chans":1,"num_classes":2)";
  EXPECT_DOUBLE_EQ(config_from_json_text(base + "}").layer_scale_init_value, 1e-6);
  EXPECT_EQ(config_from_json_text(base + "}").to_json().find("layer_scale"), std::string::npos);
  auto none = config_from_json_text(base + R"(,"layer_scale_init_value":null})");
  EXPECT_LE(none.layer_scale_init_value, 0.0);
  EXPECT_LE(config_from_json_text(none.to_json()).layer_scale_init_value, 0.0);
  EXPECT_DOUBLE_EQ(config_from_json_text(base + R"(,"layer_scale_init_value":0.5})").layer_scale_init_value, 0.5);
  EXPECT_THROW(config_from_json_text(base + R"(,"layer_scale_init_value":"big"})"), std::invalid_argument);

  unirep::models::UniRepLKNet net{unirep::models::UniRepLKNetOptions(none)};
  for (const auto& p : net->named_parameters())  // the block's layer scale, not GRN's act.1.gamma
    EXPECT_FALSE(std::regex_match(p.key(), std::regex(R"(stages\.\d+\.\d+\.gamma)"))) << p.key();
  unirep::models::randomize_for_checks(*net, 1);
  net->eval();
  auto x = torch::randn({2, 1, 32, 40});
  torch::NoGradGuard g;
  auto before = net->forward(x);
  net->reparameterize();
  EXPECT_LT(unirep::testing::max_abs_diff(net->forward(x), before), 1e-4);
}
