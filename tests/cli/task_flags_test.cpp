// `unirep train` and `unirep evaluate` take their flags from the SDK's task registry (docs/cli.md,
// "Tasks"): a --config file takes the same keys and flags given too win, the run config is saved
// next to the model, a flag of another task is refused naming it, and SDK messages reach the user
// with the CLI's flag names.
#include "models/io/npy.h"
#include <support/test_models.h>
#include <support/test_support.h>

#include "../train/tiny_layout.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <algorithm>
namespace {

class TaskFlags : public ::testing::Test {
 protected:
  void SetUp() override {
    at::manual_seed(5);
    unirep::io::write_npy(d.file("x.npy"), at::randn({16, 1, 16, 16}));
    unirep::io::write_npy(d.file("y.npy"), at::randint(0, 2, {16}, at::kLong));
    unirep::testing::write_bytes(d.file("tiny.json"), unirep::testing::tiny_config().to_json());
  }
  std::vector<std::string> train_tensors(std::vector<std::string> extra) const {
    std::vector<std::string> args = {
        "train",         "tensors", "--model",     d.file("tiny.json"), "--inputs", d.file("x.npy"), "--labels",
        d.file("y.npy"), "-o",      d.file("run"), "--threads",         "1",        "--workers",     "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  unirep::testing::TempDir d;
};

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace

TEST_F(TaskFlags, ConfigFileTakesTheFlagsKeysAndFlagsGivenTooWin) {
  unirep::testing::write_bytes(d.file("cfg.json"), R"({"epochs": 1, "batch_size": 8, "label_smoothing": 0.1})");
  const auto r = unirep::testing::run_cli(train_tensors({"--config", d.file("cfg.json"), "--epochs", "2"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(lines(unirep::testing::read_bytes(d.file("run/metrics.jsonl"))), 2u);  // --epochs 2 beat the file's 1
  const auto saved = nlohmann::json::parse(unirep::testing::read_bytes(d.file("run/run_config.json")));
  EXPECT_EQ(saved.at("task"), "tensors");
  EXPECT_EQ(saved.at("options").at("epochs"), 2);
  EXPECT_EQ(saved.at("options").at("batch_size"), 8);
  EXPECT_DOUBLE_EQ(saved.at("options").at("label_smoothing").get<double>(), 0.1);
  EXPECT_EQ(saved.at("options").at("lr"), 0.001);  // defaults are recorded too
  // The saved run config is itself a valid --config file.
  const auto again =
      unirep::testing::run_cli(train_tensors({"--config", d.file("run/run_config.json"), "--no-resume"}));
  EXPECT_NE(again.exit_code, 0);  // it is {"task", "options"}, not the options alone
  unirep::testing::write_bytes(d.file("options.json"), saved.at("options").dump());
  const auto rerun = unirep::testing::run_cli(train_tensors({"--config", d.file("options.json"), "--no-resume"}));
  EXPECT_EQ(rerun.exit_code, 0) << rerun.output;
}

TEST_F(TaskFlags, FlagsOfAnotherTaskAndBadConfigsAreRefusedBeforeAnyWork) {
  auto r = unirep::testing::run_cli(train_tensors({"--freqm", "3"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--freqm is not an option of train tensors"), std::string::npos) << r.output;
  EXPECT_FALSE(unirep::testing::file_exists(d.file("run")));
  unirep::testing::write_bytes(d.file("bad.json"), R"({"epochs": 1, "epoch": 2})");
  r = unirep::testing::run_cli(train_tensors({"--config", d.file("bad.json")}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("bad.json: 'epoch' is not an option here"), std::string::npos) << r.output;
  unirep::testing::write_bytes(d.file("range.json"), R"({"lr": -1})");
  r = unirep::testing::run_cli(train_tensors({"--config", d.file("range.json")}));
  EXPECT_NE(r.output.find("range.json: option 'lr' must be a finite number"), std::string::npos) << r.output;
  r = unirep::testing::run_cli({"train", "audio", "--model", "a", "-o", d.file("run")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("train audio needs --data"), std::string::npos) << r.output;
  r = unirep::testing::run_cli(train_tensors({"--lr", "1e30"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--lr"), std::string::npos) << r.output;
  EXPECT_FALSE(unirep::testing::file_exists(d.file("run")));
}

TEST_F(TaskFlags, EvaluateNamesFlagsInTheSdksMessages) {
  const auto r = unirep::testing::run_cli(
      {"evaluate", "video", "--model-file", d.file("x.npy"), "--data", d.file("none"), "--views", "3"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("--views must be 1 or 15"), std::string::npos) << r.output;
}

TEST_F(TaskFlags, TheForecasterTrainsThroughTheRegistryToo) {
  unirep::testing::write_bytes(d.file("series.csv"), unirep::testing::sinusoid_csv(300));
  const auto r = unirep::testing::run_cli({"train", "timeseries", "--csv", d.file("series.csv"), "--out",
                                           d.file("f.safetensors"), "--seq-len", "16", "--pred-len", "4", "--epochs",
                                           "1", "--batch-size", "64", "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(unirep::testing::file_exists(d.file("f.safetensors")));
  EXPECT_NE(r.output.find("test_mse "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("test_persistence_mse "), std::string::npos) << r.output;
}
