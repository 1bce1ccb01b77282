// unirep::Forecaster never returns NaN or a wrapped date as a result: a model file whose stored
// standardization has std 0 is refused at load (kBadFile, naming the file), a history with a value
// beyond the supported magnitude is refused (kInvalidArgument), and a forecast that would pass
// 9999-12-31 is an error (docs/timeseries.md, Data).
#include <unirep/unirep.hpp>
#include "sdk/model_file.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "support/test_models.h"
#include "support/test_support.h"

namespace {
// The forecaster of the API tests (hourly "time,a,b", seq 24, pred 6), trained once.
class ForecasterPoison : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<unirep::testing::TempDir>();
    std::ofstream(dir_->file("s.csv")) << unirep::testing::sinusoid_csv(300);
    unirep::testing::write_forecaster(dir_->file("s.csv"), dir_->file("f.safetensors"));
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string model() { return dir_->file("f.safetensors"); }
  static std::unique_ptr<unirep::testing::TempDir> dir_;
  unirep::testing::TempDir d;
};
std::unique_ptr<unirep::testing::TempDir> ForecasterPoison::dir_;

TEST_F(ForecasterPoison, AModelFileWithStdZeroIsRefusedAtLoad) {
  auto file = unirep::sdk::read_model_file(model(), "forecaster");
  auto task = nlohmann::json::parse(file.task_json);
  task["scaler"]["std"][0] = 0.0;
  file.task_json = task.dump();
  const auto path = d.file("std0.safetensors");
  unirep::sdk::write_model_file(path, file);
  try {
    unirep::Forecaster f(path);
    const auto forecast = f.forecast_csv(dir_->file("s.csv"));
    FAIL() << "loaded; first value " << forecast.values.front();
  } catch (const unirep::Error& e) {
    EXPECT_EQ(e.code(), unirep::StatusCode::kBadFile) << e.what();
    EXPECT_NE(std::string(e.what()).find(path + ": the stored standardization of 'a' has std 0"), std::string::npos)
        << e.what();
  }
}

TEST_F(ForecasterPoison, HistoriesBeyondTheSupportedMagnitudeOrPastTheYear9999AreRefused) {
  const unirep::Forecaster f(model());
  std::vector<double> times(24);
  std::vector<float> values(48, 1.0f);
  for (size_t i = 0; i < times.size(); ++i)
    times[i] = 1577836800.0 + 3600.0 * static_cast<double>(i);  // 2020-01-01 00:00
  ASSERT_EQ(f.forecast_values(times.data(), values.data(), 24, 2).steps(), 6u);

  values[47] = 3e38f;  // finite as a float, but its square is not
  try {
    const auto forecast = f.forecast_values(times.data(), values.data(), 24, 2);
    FAIL() << "forecast; first value " << forecast.values.front();
  } catch (const unirep::Error& e) {
    EXPECT_EQ(e.code(), unirep::StatusCode::kInvalidArgument) << e.what();
    EXPECT_NE(
        std::string(e.what()).find("history: row 23, column 'b': the value 3e+38 is beyond the supported magnitude"),
        std::string::npos)
        << e.what();
  }

  values[47] = 1.0f;
  const double last = 253402297200.0 - 3 * 3600.0;  // 9999-12-31 20:00 UTC; the fourth step is the year 10000
  for (size_t i = 0; i < times.size(); ++i) times[i] = last - 3600.0 * static_cast<double>(23 - i);
  try {
    const auto forecast = f.forecast_values(times.data(), values.data(), 24, 2);
    FAIL() << "forecast; last time " << forecast.timestamps.back();
  } catch (const unirep::Error& e) {
    EXPECT_EQ(e.code(), unirep::StatusCode::kInvalidArgument) << e.what();
    EXPECT_NE(
        std::string(e.what()).find("history: the forecast's step 4 cannot be written: the time is after the year 9999"),
        std::string::npos)
        << e.what();
  }
}

}  // namespace
