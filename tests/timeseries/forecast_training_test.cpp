// Training a forecaster through the SDK alone (sdk::train_forecaster), no CLI: a tiny
// run writes a model file that loads and scores finitely, its notes come through the callback,
// options out of range are named by their field, and a stopped run leaves `out` as it was.
#include "sdk/timeseries/forecast_training.h"

#include "modalities/timeseries/time_stamp.h"
#include "sdk/timeseries/forecast_evaluation.h"
#include "sdk/timeseries/forecast_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace {
// Hourly rows from 2020-01-01 00:00: a = daily cycle, b = a shifted cycle around 10.
std::string hourly_csv(int rows) {
  std::ostringstream s;
  s << "time,a,b\n";
  const auto style = *unirep::modalities::parse_time("2020-01-01 00:00");
  for (int i = 0; i < rows; ++i)
    s << unirep::modalities::format_time(style.seconds + i * 3600.0, style) << "," << std::sin(2 * M_PI * i / 24.0)
      << "," << 2.0 * std::cos(2 * M_PI * i / 24.0) + 10 << "\n";
  return s.str();
}

// 16 -> 4 steps with d_model 64: a 32 x 32 map, the smallest the backbone takes; 19 training
// windows (stride 8), 3 batches of 8.
unirep::sdk::ForecastTrainingOptions tiny_options(const unirep::testing::TempDir& d) {
  std::ofstream(d.file("s.csv")) << hourly_csv(240);
  unirep::sdk::ForecastTrainingOptions o;
  o.csv = d.file("s.csv");
  o.seq_len = 16;
  o.pred_len = 4;
  o.d_model = 64;
  o.stride = 8;
  o.out = d.file("m.safetensors");
  return o;
}

unirep::sdk::TrainOptions tiny_training() {
  auto t = unirep::sdk::forecast_training_defaults();
  t.epochs = 1;
  t.batch_size = 8;
  t.max_steps = 10;  // a bound only: a run cut by max_steps mid-epoch exports no model
  t.workers = 0;
  return t;
}

bool finite(const unirep::sdk::ForecastErrors& e) {
  return std::isfinite(e.mse) && std::isfinite(e.mae);
}

TEST(ForecastTraining, DefaultsAreTheRecipe) {
  const auto t = unirep::sdk::forecast_training_defaults();
  EXPECT_DOUBLE_EQ(t.lr, 3e-4);
  EXPECT_DOUBLE_EQ(t.min_lr, 1e-5);
  EXPECT_DOUBLE_EQ(t.warmup_epochs, 1);
  EXPECT_EQ(t.patience, 3);
  EXPECT_EQ(t.loss, unirep::sdk::LossKind::MSE);
  EXPECT_FALSE(t.drop_last);
  EXPECT_DOUBLE_EQ(t.optimizer.weight_decay, 0.05);
  EXPECT_EQ(t.monitor, "loss");
}

TEST(ForecastTraining, TrainsATinyForecasterThatLoadsAndScores) {
  unirep::testing::TempDir d;
  const auto o = tiny_options(d);
  std::vector<std::string> notes;
  int steps = 0;
  const auto result = unirep::sdk::train_forecaster(
      o, tiny_training(), [&](const std::string& line) { notes.push_back(line); },
      [&](const unirep::sdk::TrainProgress& p) {
        if (p.event == unirep::sdk::TrainProgress::Event::Step) ++steps;
        return true;
      });
  EXPECT_FALSE(result.run.interrupted);
  EXPECT_EQ(result.run.steps, 3);
  EXPECT_EQ(steps, 3);
  EXPECT_EQ(result.model_file, o.out);
  EXPECT_EQ(result.output_dir, o.out + ".train");
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0], o.csv + ": 240 rows, 2 targets, step 3600 s, 0 missing cells filled");
  EXPECT_EQ(notes[1].rfind("windows 16 -> 4: ", 0), 0u) << notes[1];
  EXPECT_NE(notes[1].find("map 32 x 32"), std::string::npos) << notes[1];

  ASSERT_TRUE(unirep::testing::file_exists(o.out));
  const auto loaded = unirep::sdk::load_forecaster(o.out);
  EXPECT_EQ(loaded.spec.targets, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(loaded.spec.seq_len, 16);
  EXPECT_EQ(loaded.spec.pred_len, 4);
  EXPECT_EQ(loaded.spec.season, 24);
  EXPECT_TRUE(finite(result.evaluation.model));
  EXPECT_GT(result.evaluation.test_windows, 0u);
  for (const auto& [name, err] : result.evaluation.baselines) EXPECT_TRUE(finite(err)) << name;

  // The loaded forecaster's backbone runs on the fast inference path, and gives what the LibTorch
  // network gives (the fixture tolerance).
  EXPECT_EQ(loaded.backbone.path(), unirep::sdk::InferencePath::Fast);
  torch::manual_seed(3);
  const auto windows = torch::randn({3, loaded.spec.seq_len, loaded.net->options.input_channels()});
  auto reference = loaded.net;  // a second handle: forward() is not const
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(unirep::testing::within_fixture_tolerance(unirep::sdk::run_forecaster(loaded, windows),
                                                        reference->forward(windows)));
}

TEST(ForecastTraining, AStoppedRunLeavesTheModelFileAlone) {
  unirep::testing::TempDir d;
  const auto o = tiny_options(d);
  unirep::testing::write_bytes(o.out, "an earlier model");
  const auto result = unirep::sdk::train_forecaster(o, tiny_training(), {}, [](const unirep::sdk::TrainProgress& p) {
    return p.event != unirep::sdk::TrainProgress::Event::Step;  // stop after the first step
  });
  EXPECT_TRUE(result.run.interrupted);
  EXPECT_TRUE(result.model_file.empty());
  EXPECT_EQ(unirep::testing::read_bytes(o.out), "an earlier model");
  EXPECT_TRUE(unirep::testing::file_exists(result.output_dir + "/checkpoint.pth"));
}

TEST(ForecastTraining, OptionsOutOfRangeNameTheField) {
  unirep::testing::TempDir d;
  auto expect_refused = [&](unirep::sdk::ForecastTrainingOptions o, const std::string& field) {
    try {
      unirep::sdk::train_forecaster(o, tiny_training());
      ADD_FAILURE() << field << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("ForecastTrainingOptions." + field), std::string::npos) << e.what();
    }
    EXPECT_FALSE(unirep::testing::file_exists(o.out)) << field;
  };
  const auto good = tiny_options(d);
  auto o = good;
  o.seq_len = 1;
  expect_refused(o, "seq_len");
  o = good;
  o.pred_len = 0;
  expect_refused(o, "pred_len");
  o = good;
  o.train_fraction = 0.95;
  expect_refused(o, "train_fraction + validation_fraction");
  o = good;
  o.validation_fraction = std::nan("");
  expect_refused(o, "validation_fraction");
  o = good;
  o.drop_path = 1;
  expect_refused(o, "drop_path");
  o = good;
  o.out.clear();
  expect_refused(o, "out");
}

}  // namespace
