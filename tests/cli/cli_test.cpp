// End-to-end runs of the `unirep` binary on the reference fixtures and on bad input.
#include "models/fast/precision.h"
#include "models/io/npy.h"
#include "models/io/safetensors.h"
#include "sdk/backbone_loader.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "support/test_support.h"

using unirep::testing::CommandResult;
using unirep::testing::file_exists;
using unirep::testing::fixture;
using unirep::testing::run_cli;
using unirep::testing::TempDir;
using unirep::testing::within_fixture_tolerance;

namespace {

std::string bb(const std::string& name) {
  return fixture("backbone/" + name);
}

CommandResult infer(const std::string& model, const std::string& weights, const std::string& input,
                    const std::string& output, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"infer", "--model",      model,  "--weights", weights, "--input-npy",
                                   input,   "--output-npy", output, "--threads", "2"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_cli(args);
}

// The CLI's one-line reason on failure: the line starting "unirep: error:" (notes may come before it).
std::string error_line(const std::string& s) {
  const auto at = s.find("unirep: error:");
  if (at == std::string::npos) return "";
  return s.substr(at, s.find('\n', at) - at);
}

}  // namespace

TEST(CliInfer, ReproducesOfficialOutputsForEveryWeightForm) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir tmp;
  struct Case {
    std::string name, weights, reference;
    std::vector<std::string> extra;
  };
  std::vector<Case> cases = {
      {"tiny_mono", "tiny_mono.train.pth", "tiny_mono.logits.npy", {}},
      {"tiny_mono", "tiny_mono.deploy.pth", "tiny_mono.deploy_logits.npy", {}},
      {"tiny_mono", "tiny_mono.train.pth", "tiny_mono.deploy_logits.npy", {"--reparam"}},
      {"tiny_mono", "tiny_mono.deploy.safetensors", "tiny_mono.deploy_logits.npy", {}},
      {"unireplknet_a", "unireplknet_a.train.pth", "unireplknet_a.logits.npy", {}},
      {"unireplknet_a", "unireplknet_a.deploy.pth", "unireplknet_a.deploy_logits.npy", {}},
      {"unireplknet_a", "unireplknet_a.train.pth", "unireplknet_a.deploy_logits.npy", {"--reparam"}},
  };
  for (const auto& c : cases) {
    const auto out = tmp.file(c.name + "_out.npy");
    auto r = infer(bb(c.name + ".config.json"), bb(c.weights), bb(c.name + ".input.npy"), out, c.extra);
    ASSERT_EQ(r.exit_code, 0) << c.weights << "\n" << r.output;
    EXPECT_TRUE(within_fixture_tolerance(unirep::io::read_npy(out), unirep::io::read_npy(bb(c.reference))))
        << c.weights << (c.extra.empty() ? "" : " --reparam");
  }
}

TEST(CliInfer, NamedVariantLoadsTheOfficialAWeights) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir tmp;
  auto r = infer("a", bb("unireplknet_a.train.pth"), bb("unireplknet_a.input.npy"), tmp.file("y.npy"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(within_fixture_tolerance(unirep::io::read_npy(tmp.file("y.npy")),
                                       unirep::io::read_npy(bb("unireplknet_a.logits.npy"))));
}

TEST(CliInfer, FeaturesWriteFourStageMaps) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir tmp;
  auto r = infer(bb("tiny_mono.config.json"), bb("tiny_mono.train.pth"), bb("tiny_mono.input.npy"), tmp.file("f.npy"),
                 {"--output", "features"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (int i = 0; i < 4; ++i) {
    const auto s = ".stage" + std::to_string(i) + ".npy";
    EXPECT_TRUE(
        within_fixture_tolerance(unirep::io::read_npy(tmp.file("f" + s)), unirep::io::read_npy(bb("tiny_mono" + s))))
        << i;
  }
  EXPECT_FALSE(file_exists(tmp.file("f.npy")));
}

// bf16 runs the fast path: near the official logits (not within the fp32 tolerance), deploy only.
TEST(CliInfer, PrecisionBf16StaysNearTheOfficialLogits) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir tmp;
  const auto cfg = bb("unireplknet_a.config.json"), input = bb("unireplknet_a.input.npy");
  auto refused = infer(cfg, bb("unireplknet_a.train.pth"), input, tmp.file("t.npy"), {"--precision", "bf16"});
  EXPECT_NE(refused.exit_code, 0);
  if (unirep::models::cpu_has_bf16())
    EXPECT_NE(error_line(refused.output).find("--reparam"), std::string::npos) << refused.output;
  EXPECT_FALSE(file_exists(tmp.file("t.npy")));
  EXPECT_NE(infer(cfg, bb("unireplknet_a.deploy.pth"), input, tmp.file("h.npy"), {"--precision", "fp16"}).exit_code, 0);
  auto r = infer(cfg, bb("unireplknet_a.deploy.pth"), input, tmp.file("y.npy"), {"--precision", "bf16"});
  if (!unirep::models::cpu_has_bf16()) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(error_line(r.output).find("AVX512-BF16"), std::string::npos) << r.output;
    GTEST_SKIP() << "this CPU has no native bfloat16 (AVX512-BF16 or AMX)";
  }
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto got = unirep::io::read_npy(tmp.file("y.npy"));
  const auto want = unirep::io::read_npy(bb("unireplknet_a.deploy_logits.npy"));
  EXPECT_LT(((got - want).norm() / want.norm()).item<double>(), 0.03);
  EXPECT_TRUE(torch::equal(got.argmax(1), want.argmax(1)));
}

TEST(CliInfer, PooledIsTheHeadInput) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir tmp;
  auto r = infer(bb("tiny_mono.config.json"), bb("tiny_mono.deploy.pth"), bb("tiny_mono.input.npy"), tmp.file("p.npy"),
                 {"--output", "pooled"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto pooled = unirep::io::read_npy(tmp.file("p.npy"));
  ASSERT_EQ(pooled.sizes(), (std::vector<int64_t>{1, 64}));
  // logits = head(pooled): check with the head weights from the file.
  auto w = unirep::sdk::read_weights(bb("tiny_mono.deploy.pth"));
  at::Tensor hw, hb;
  for (auto& nt : w) {
    if (nt.name == "head.weight") hw = nt.tensor;
    if (nt.name == "head.bias") hb = nt.tensor;
  }
  EXPECT_TRUE(
      within_fixture_tolerance(at::linear(pooled, hw, hb), unirep::io::read_npy(bb("tiny_mono.deploy_logits.npy"))));
}

TEST(CliReparam, WritesDeployWeightsThatInferLoads) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir tmp;
  for (const std::string ext : {".safetensors", ".pth"}) {
    const auto deploy = tmp.file("deploy" + ext);
    auto r = run_cli({"reparam", "--model", bb("unireplknet_a.config.json"), "--weights", bb("unireplknet_a.train.pth"),
                      "--output", deploy});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto y = tmp.file("y" + ext + ".npy");
    r = infer(bb("unireplknet_a.config.json"), deploy, bb("unireplknet_a.input.npy"), y);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(
        within_fixture_tolerance(unirep::io::read_npy(y), unirep::io::read_npy(bb("unireplknet_a.deploy_logits.npy"))))
        << ext;
  }
}

TEST(CliInfo, PrintsThePaperNumbersForA) {
  auto r = run_cli({"info", "--model", "a", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"deploy\": {\"params\": 44"), std::string::npos) << r.output;
  r = run_cli({"info", "--model", "s"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("deploy"), std::string::npos);
  EXPECT_NE(r.output.find("55.6"), std::string::npos) << r.output;
}

TEST(CliErrors, BadInputsFailWithAOneLineReasonAndNoOutput) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir tmp;
  const auto out = tmp.file("never.npy");
  const auto cfg = bb("tiny_mono.config.json");
  const auto weights = bb("tiny_mono.train.pth");
  const auto input = bb("tiny_mono.input.npy");

  unirep::testing::write_bytes(tmp.file("garbage.npy"), "not an npy file at all");
  unirep::testing::write_bytes(tmp.file("garbage.pth"), "PK\x03\x04 truncated zip");
  unirep::testing::write_bytes(tmp.file("bad.json"), "{\"depths\": [1,1,1,1]");
  auto three_chan = tmp.file("three.npy");
  unirep::io::write_npy(three_chan, at::zeros({1, 3, 32, 32}));

  struct Case {
    std::vector<std::string> args;
    std::string expect;  // must appear in the first line
  };
  std::vector<Case> cases = {
      {{"infer", "--model", cfg, "--weights", weights, "--input-npy", tmp.file("garbage.npy"), "--output-npy", out},
       "garbage.npy"},
      {{"infer", "--model", cfg, "--weights", tmp.file("garbage.pth"), "--input-npy", input, "--output-npy", out},
       "garbage.pth"},
      {{"infer", "--model", cfg, "--weights", weights, "--input-npy", three_chan, "--output-npy", out}, "channels"},
      {{"infer", "--model", tmp.file("bad.json"), "--weights", weights, "--input-npy", input, "--output-npy", out},
       "bad.json"},
      {{"infer", "--model", "a", "--weights", weights, "--input-npy", input, "--output-npy", out},
       "tiny_mono.train.pth"},
      {{"infer", "--model", "zz", "--weights", weights, "--input-npy", input, "--output-npy", out},
       "unknown model variant"},
      {{"infer", "--model", cfg, "--weights", weights, "--input-npy", input, "--output-npy",
        tmp.file("no/such/dir/y.npy")},
       "y.npy"},
      {{"reparam", "--model", cfg, "--weights", weights, "--output", tmp.file("deploy.bin")}, "deploy.bin"},
  };
  for (const auto& c : cases) {
    auto r = run_cli(c.args);
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(error_line(r.output).find(c.expect), std::string::npos) << "error line: " << error_line(r.output);
    EXPECT_EQ(r.output.find("terminate called"), std::string::npos) << r.output;
  }
  EXPECT_FALSE(file_exists(out));
  EXPECT_FALSE(file_exists(tmp.file("deploy.bin")));
}

TEST(CliErrors, StrictLoadListsEveryKeyAndNonStrictGoesOn) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir tmp;
  // The A weights into a layout with an extra block in stage 0: unexpected nothing, missing stages.0.2.*
  auto r = run_cli({"infer", "--model", "a", "--weights", bb("tiny_mono.train.pth"), "--input-npy",
                    bb("tiny_mono.input.npy"), "--output-npy", tmp.file("y.npy")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("stages.0.1.dwconv.weight"), std::string::npos) << r.output;  // missing key named
  EXPECT_NE(r.output.find("shape-mismatched"), std::string::npos) << r.output;
  EXPECT_FALSE(file_exists(tmp.file("y.npy")));
}

TEST(CliErrors, UsageErrorsExitTwo) {
  EXPECT_EQ(run_cli({"infer"}).exit_code, 2);
  EXPECT_EQ(run_cli({"nosuchcommand"}).exit_code, 2);
  EXPECT_EQ(run_cli({}).exit_code, 2);
}
