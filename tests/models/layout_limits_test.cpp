// Layout limits (docs/backbone.md, Layout limits): a layout JSON or model metadata that asks for
// absurd sizes is refused by name before any module is built; the config file reader never blocks
// or reads without bound; a stage of depth 0 is the identity, as in the official model.
#include "models/backbone/backbone_config.h"
#include "models/fast/fast_unireplknet.h"
#include "models/backbone/layout_size.h"
#include "models/backbone/randomize.h"
#include "models/backbone/unireplknet.h"

#include <gtest/gtest.h>
#include <torch/types.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <sys/stat.h>
#include <thread>

#include "support/test_support.h"

using unirep::models::BackboneConfig;
using unirep::models::config_from_json_text;
using unirep::testing::ScopedEnv;

namespace {

// A layout with the given JSON fields; the rest is a small valid layout.
std::string layout(const std::string& depths, const std::string& dims, const std::string& kernels,
                   const std::string& tail = R"(, "in_chans": 3, "num_classes": 10)") {
  return R"({"depths": )" + depths + R"(, "dims": )" + dims + R"(, "kernel_sizes": )" + kernels + tail + "}";
}

std::string refusal(const std::string& json) {
  try {
    config_from_json_text(json, "my.json");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

// The message of load_config_file(path), or "(accepted)"; "(blocked)" when it has not returned
// within a few seconds (the thread is then left behind, blocked).
std::string load_refusal(const std::string& path) {
  auto done = std::make_shared<std::promise<std::string>>();
  auto result = done->get_future();
  std::thread([path, done] {
    try {
      unirep::models::load_config_file(path);
      done->set_value("(accepted)");
    } catch (const std::exception& e) {
      done->set_value(e.what());
    }
  }).detach();
  if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return "(blocked)";
  return result.get();
}

}  // namespace

TEST(LayoutLimits, AbsurdFieldsAreRefusedByName) {
  const std::string k1 = "[[3],[3],[3],[3]]";
  struct Case {
    std::string json, expect;
  };
  const std::vector<Case> cases = {
      {layout("[1,1,1,1]", "[1000000000,16,32,64]", k1),
       "'dims'[0] is 1000000000, more than the limit of 65536 channels"},
      {layout("[1,1,1,1]", "[1e9,16,32,64]", k1), "'dims' must hold integers only, got 1000000000.0 at index 0"},
      {layout("[1,1,1000000000,1]", "[8,16,32,64]", k1),
       "'depths'[2] is 1000000000, more than the limit of 1024 blocks per stage"},
      {layout("[1,1,1,1]", "[8,16,32,64]", k1, R"(, "num_classes": 1000000000000)"),
       "'num_classes' is 1000000000000, more than the limit of 16777216 classes"},
      {layout("[1,1,1,1]", "[8,16,32,64]", k1, R"(, "num_classes": 1e12)"),
       "'num_classes' must be an integer, got 1000000000000.0"},
      {layout("[1,1,1,1]", "[8,16,32,64]", k1, R"(, "in_chans": 100000000)"),
       "'in_chans' is 100000000, more than the limit"},
      {layout("[1,1,1,1]", "[8,16,32,64]", "[[3],[3],[4],[3]]"),
       "'kernel_sizes'[2][0]: kernel size 4 is not supported"},
      {layout("[1,1,1,1]", "[8,16,32,64]", "[[3],[3],[1000001],[3]]"), "kernel size 1000001 is not supported"},
      {layout("[1,1,1,1]", "[8,16,32,64]", "[[3],[3],[3.5],[3]]"),
       "'kernel_sizes'[2] must hold integers only, got 3.5"},
      {layout("[1,1,18446744073709551615,1]", "[8,16,32,64]", k1),
       "'depths'[2] is 18446744073709551615, far beyond any layout"},
      {layout("[1,1,1,1]", "[8,16,32,64]", k1, R"(, "num_classes": 18446744073709551615)"),
       "'num_classes' is 18446744073709551615"},
  };
  for (const auto& c : cases) {
    const auto message = refusal(c.json);
    EXPECT_EQ(message.rfind("my.json: ", 0), 0u) << message;
    EXPECT_NE(message.find(c.expect), std::string::npos) << "message '" << message << "' lacks '" << c.expect << "'";
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_LT(message.size(), 500u) << message;
  }
}

// Each field within its limit, the whole far beyond memory: refused from the estimate.
TEST(LayoutLimits, LayoutsBeyondTheMemoryLimitAreRefusedFromTheEstimate) {
  const auto wide = refusal(layout("[1,1,1,1]", "[8192,16384,32768,65536]", "[[3],[3],[3],[3]]"));
  EXPECT_NE(wide.find("my.json: layout asks for "), std::string::npos) << wide;
  EXPECT_NE(wide.find(" parameters ("), std::string::npos) << wide;
  EXPECT_NE(wide.find("more than the 4 GiB limit (UNIREP_MAX_LAYOUT_GIB sets it)"), std::string::npos) << wide;

  const auto classes =
      refusal(layout("[1,1,1,1]", "[8,16,32,4096]", "[[3],[3],[3],[3]]", R"(, "num_classes": 16000000)"));
  EXPECT_NE(classes.find("layout asks for 656"), std::string::npos) << classes;  // 4096 x 16e6 head weights

  const auto deep = refusal(layout(
      "[1,1,1,1024]", "[8,16,32,4096]", "[[3],[3],[3]," + [] {
        std::string k = "[";
        for (int i = 0; i < 1024; ++i) k += i ? ",0" : "0";
        return k + "]]";
      }()));
  EXPECT_NE(deep.find("layout asks for "), std::string::npos) << deep;

  const auto channels = refusal(layout("[1,1,1,1]", "[8,16,32,64]", "[[3],[3],[3],[3]]", R"(, "in_chans": 65536)"));
  EXPECT_NE(channels.find("my.json: layout needs a 12."), std::string::npos) << channels;
  EXPECT_NE(channels.find(" GiB activation for one 224 x 224 input, more than the 4 GiB limit"), std::string::npos)
      << channels;
}

TEST(LayoutLimits, EveryOfficialVariantFitsWithA22kHead) {
  for (const auto& name : unirep::models::variant_names()) {
    auto c = unirep::models::variant_config(name);
    c.num_classes = 21841;
    EXPECT_NO_THROW(c.validate()) << name;
    const auto size = unirep::models::estimate_layout_size(c);
    EXPECT_LT(4.0 * size.parameters, 0.5 * unirep::models::max_layout_bytes()) << name;
  }
}

TEST(LayoutLimits, TheEnvironmentSetsTheLimit) {
  {
    ScopedEnv tight("UNIREP_MAX_LAYOUT_GIB", "0.001");
    const auto c = unirep::models::variant_config("a");  // 4.4M parameters: 17 MB
    try {
      c.validate("a");
      ADD_FAILURE() << "accepted under a 1 MiB limit";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("a: layout asks for "), std::string::npos) << e.what();
    }
  }
  {
    ScopedEnv roomy("UNIREP_MAX_LAYOUT_GIB", "1000");
    EXPECT_EQ(refusal(layout("[1,1,1,1]", "[8192,16384,32768,65536]", "[[3],[3],[3],[3]]")), "(accepted)");
  }
  ScopedEnv bad("UNIREP_MAX_LAYOUT_GIB", "lots");
  EXPECT_NE(refusal(layout("[1,1,1,1]", "[8,16,32,64]", "[[3],[3],[3],[3]]"))
                .find("UNIREP_MAX_LAYOUT_GIB must be a positive number of GiB, not 'lots'"),
            std::string::npos);
}

// The official model's stages are nn.Sequential, which passes its input through when empty.
TEST(LayoutLimits, AStageOfDepthZeroIsTheIdentityOnBothPaths) {
  for (const auto& depths : {std::vector<int64_t>{1, 0, 1, 0}, std::vector<int64_t>{0, 0, 0, 0}}) {
    BackboneConfig c;
    c.depths = depths;
    c.dims = {8, 16, 16, 32};
    for (auto d : depths) c.kernel_sizes.push_back(std::vector<int64_t>(static_cast<size_t>(d), 7));
    c.in_chans = 2;
    c.num_classes = 5;
    unirep::models::UniRepLKNet net{unirep::models::UniRepLKNetOptions(c)};
    unirep::models::randomize_for_checks(*net, 3);
    net->eval();
    torch::NoGradGuard no_grad;
    const auto x = torch::randn({2, 2, 48, 40});
    const auto stages = net->forward_stages(x);
    ASSERT_EQ(stages.size(), 4u);
    EXPECT_EQ(stages[3].sizes(), (std::vector<int64_t>{2, 32, 2, 2}));
    const auto train = net->forward(x);
    net->reparameterize();
    const auto deploy = net->forward(x);
    EXPECT_LT(unirep::testing::max_abs_diff(deploy, train), 1e-4);
    unirep::models::FastUniRepLKNet fast(*net);
    EXPECT_TRUE(unirep::testing::within_fixture_tolerance(fast.forward(x), deploy));
  }
}

TEST(LayoutLimits, TheConfigReaderRefusesSpecialAndOversizedFiles) {
  unirep::testing::TempDir d;
  const auto fifo = d.file("layout.json");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto fifo_message = load_refusal(fifo);  // nobody writes: must not wait for a writer
  EXPECT_EQ(fifo_message, fifo + ": is a FIFO (named pipe), not a JSON config file");

  // /dev/zero (never ending) is refused the same way; tests/cli/sizes_test.cpp runs it under a
  // memory cap, since a reader that tried would fill memory.
  EXPECT_EQ(load_refusal(d.path()), d.path() + ": is a directory, not a JSON config file");

  const auto big = d.file("big.json");
  unirep::testing::write_bytes(big, "{" + std::string(2 << 20, ' ') + "}");
  EXPECT_EQ(load_refusal(big),
            big + ": config file is 2097154 bytes, more than the limit of 1048576 for a layout JSON");

  const auto missing = load_refusal(d.file("missing.json"));
  EXPECT_EQ(missing.rfind(d.file("missing.json") + ": cannot open config file (No such file", 0), 0u) << missing;

  const auto good = d.file("good.json");
  unirep::testing::write_bytes(good, unirep::models::variant_config("a").to_json());
  EXPECT_EQ(load_refusal(good), "(accepted)");
}
