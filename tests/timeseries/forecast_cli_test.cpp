// unirep forecast end to end: the forecaster learns a noisy mix of sinusoids far better than
// persistence, eval prints the JSON the docs promise, predict writes the right timestamps and a
// plot, bad input leaves no output file, and on the real Seattle weather it beats every baseline.
#include "modalities/timeseries/time_stamp.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "support/test_support.h"

namespace {
// Hourly rows from 2020-01-01 00:00: a = daily cycle + slower cycle + noise, b = a shifted cycle.
std::string sinusoid_csv(int rows, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.1);
  std::ostringstream s;
  s << "time,a,b\n";
  unirep::modalities::ParsedTime style = *unirep::modalities::parse_time("2020-01-01 00:00");
  for (int i = 0; i < rows; ++i) {
    const double a = std::sin(2 * M_PI * i / 24.0) + 0.5 * std::sin(2 * M_PI * i / 60.0) + noise(rng);
    const double b = 2.0 * std::cos(2 * M_PI * i / 24.0) + 10 + noise(rng);
    s << unirep::modalities::format_time(style.seconds + i * 3600.0, style) << "," << a << "," << b << "\n";
  }
  return s.str();
}

nlohmann::json last_json_line(const std::string& output) {
  std::istringstream in(output);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty() && line[0] == '{') last = line;
  return nlohmann::json::parse(last);
}

TEST(ForecastCli, LearnsSinusoidsPredictsAndPlots) {
  unirep::testing::TempDir d;
  std::ofstream(d.file("s.csv")) << sinusoid_csv(1000, 7);  // map 48 x 48 (d-model 96) keeps the test quick
  const std::string model = d.file("m.safetensors");
  auto r = unirep::testing::run_cli({"forecast", "train", "--csv", d.file("s.csv"), "--seq-len", "24", "--pred-len",
                                     "12", "--d-model", "96", "--epochs", "4", "--out", model, "--seed", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("UniRepLKNet forecaster"), std::string::npos) << r.output;

  auto e = unirep::testing::run_cli({"forecast", "eval", "--csv", d.file("s.csv"), "--model", model, "--json"});
  ASSERT_EQ(e.exit_code, 0) << e.output;
  const auto j = last_json_line(e.output);
  const double model_mse = j["model"]["mse"], persistence_mse = j["baselines"]["persistence"]["mse"];
  EXPECT_LT(model_mse, 0.25 * persistence_mse) << e.output;
  EXPECT_TRUE(j["baselines"].contains("seasonal_naive"));
  EXPECT_TRUE(j["baselines"].contains("linear"));
  EXPECT_EQ(j["season"], 24);
  EXPECT_GT(j["test_windows"].get<int>(), 100);

  // The next 12 hours after the last row (2020-02-11 15:00).
  auto p = unirep::testing::run_cli({"forecast", "predict", "--csv", d.file("s.csv"), "--model", model, "--output",
                                     d.file("f.csv"), "--plot", d.file("f.png")});
  ASSERT_EQ(p.exit_code, 0) << p.output;
  std::ifstream f(d.file("f.csv"));
  std::string header, first, line, last;
  std::getline(f, header);
  std::getline(f, first);
  int rows = 1;
  for (last = first; std::getline(f, line); ++rows) last = line;
  EXPECT_EQ(header, "time,a,b");
  EXPECT_EQ(rows, 12);
  EXPECT_EQ(first.substr(0, first.find(',')), "2020-02-11 16:00");
  EXPECT_EQ(last.substr(0, last.find(',')), "2020-02-12 03:00");
  // b stays near its level of 10 +- 2.
  const double b = std::stod(first.substr(first.rfind(',') + 1));
  EXPECT_GT(b, 7.0);
  EXPECT_LT(b, 13.0);
  EXPECT_EQ(unirep::testing::read_bytes(d.file("f.png")).substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));

  // A back-test ends its forecast at the file's last row.
  auto bt = unirep::testing::run_cli(
      {"forecast", "predict", "--csv", d.file("s.csv"), "--model", model, "--output", d.file("b.csv"), "--backtest"});
  ASSERT_EQ(bt.exit_code, 0) << bt.output;
  EXPECT_NE(bt.output.find("to 2020-02-11 15:00"), std::string::npos) << bt.output;

  // Bad input: a clear error naming the file and line, a non-zero exit, and no output file.
  std::ofstream(d.file("bad.csv")) << "time,a,b\n2020-01-01 00:00,1,2\n2020-01-01 01:00,x,2\n";
  auto bad = unirep::testing::run_cli(
      {"forecast", "predict", "--csv", d.file("bad.csv"), "--model", model, "--output", d.file("bad_out.csv")});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("bad.csv:3"), std::string::npos) << bad.output;
  EXPECT_FALSE(unirep::testing::file_exists(d.file("bad_out.csv")));
  // A model file that is not one.
  std::ofstream(d.file("junk.safetensors")) << "not a model";
  auto junk =
      unirep::testing::run_cli({"forecast", "eval", "--csv", d.file("s.csv"), "--model", d.file("junk.safetensors")});
  EXPECT_NE(junk.exit_code, 0);
  EXPECT_NE(junk.output.find("junk.safetensors"), std::string::npos) << junk.output;
}

// The real daily Seattle weather of python3-vega-datasets, all four variables, 28 -> 7 days.
TEST(ForecastCli, SeattleWeatherBeatsEveryBaseline) {
  const std::string csv = "/usr/lib/python3/dist-packages/vega_datasets/_data/seattle-weather.csv";
  if (!unirep::testing::file_exists(csv)) {
    if (unirep::testing::ci_mode()) FAIL() << csv << " is missing (CI=true): apt-get install python3-vega-datasets";
    GTEST_SKIP() << csv << " is missing: apt-get install python3-vega-datasets";
  }
  unirep::testing::TempDir d;
  const std::string model = d.file("w.safetensors");
  auto r = unirep::testing::run_cli({"forecast", "train", "--csv", csv, "--time-col", "date", "--target",
                                     "temp_max,temp_min,precipitation,wind", "--seq-len", "28", "--pred-len", "7",
                                     "--out", model});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto e = unirep::testing::run_cli({"forecast", "eval", "--csv", csv, "--model", model, "--json"});
  ASSERT_EQ(e.exit_code, 0) << e.output;
  const auto j = last_json_line(e.output);
  for (const char* b : {"persistence", "seasonal_naive", "linear"}) {
    EXPECT_LT(j["model"]["mse"].get<double>(), j["baselines"][b]["mse"].get<double>()) << b << ": " << e.output;
    EXPECT_LT(j["model"]["mae"].get<double>(), j["baselines"][b]["mae"].get<double>()) << b << ": " << e.output;
  }
}

}  // namespace
