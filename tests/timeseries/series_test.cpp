// Time-series data: timestamps, the CSV reader's checks and repairs, windows and standardization,
// the decomposition and the least-squares linear baseline.
#include "modalities/timeseries/series_csv.h"
#include "modalities/timeseries/time_stamp.h"
#include "modalities/timeseries/windows.h"
#include "models/timeseries/linear_forecaster.h"
#include "models/timeseries/series_decomposition.h"
#include "sdk/timeseries/forecast_data.h"
#include "sdk/timeseries/forecast_evaluation.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>

#include "support/test_support.h"
#include "csv_error.h"

using unirep::testing::csv_error;

namespace {
using namespace unirep;
using unirep::testing::TempDir;

std::string write(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path) << text;
  return path;
}

std::vector<double> values(const at::Tensor& t) {
  auto flat = t.reshape({-1}).to(at::kDouble).contiguous();
  return std::vector<double>(flat.data_ptr<double>(), flat.data_ptr<double>() + flat.numel());
}

TEST(TimeStamp, ParsesTheCommonFormsAndRejectsImpossibleDates) {
  auto a = unirep::modalities::parse_time("2012/01/01");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->format, unirep::modalities::TimeFormat::Date);
  EXPECT_DOUBLE_EQ(a->seconds, 1325376000.0);  // date -u -d 2012-01-01 +%s
  auto b = unirep::modalities::parse_time("2010-01-01T05:30");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->format, unirep::modalities::TimeFormat::DateTime);
  EXPECT_DOUBLE_EQ(b->seconds, 1262304000.0 + 5 * 3600 + 30 * 60);
  auto c = unirep::modalities::parse_time("2010/01/01 00:00:07");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->format, unirep::modalities::TimeFormat::DateTimeSecs);
  EXPECT_DOUBLE_EQ(c->seconds, 1262304007.0);
  auto z = unirep::modalities::parse_time("2010-01-01T02:00:00+02:00");
  ASSERT_TRUE(z);
  EXPECT_DOUBLE_EQ(z->seconds, 1262304000.0);
  auto n = unirep::modalities::parse_time(" 42.5 ");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->format, unirep::modalities::TimeFormat::Number);
  EXPECT_DOUBLE_EQ(n->seconds, 42.5);
  EXPECT_FALSE(unirep::modalities::parse_time("2015-02-29"));  // not a leap year
  EXPECT_TRUE(unirep::modalities::parse_time("2016-02-29"));
  EXPECT_FALSE(unirep::modalities::parse_time("2015-13-01"));
  EXPECT_FALSE(unirep::modalities::parse_time("2015-01-01 25:00"));
  EXPECT_FALSE(unirep::modalities::parse_time("yesterday"));
  EXPECT_FALSE(unirep::modalities::parse_time(""));
  // Written back in the file's own style.
  EXPECT_EQ(unirep::modalities::format_time(a->seconds + 86400, *a), "2012/01/02");
  EXPECT_EQ(unirep::modalities::format_time(b->seconds + 3600, *b), "2010-01-01T06:30");
  EXPECT_EQ(unirep::modalities::format_time(c->seconds, *c), "2010/01/01 00:00:07");
}

TEST(TimeStamp, CalendarFieldsAndTheReferenceTimeFeatures) {
  const auto f = unirep::modalities::calendar_fields(
      unirep::modalities::parse_time("2012-12-31 23:00")->seconds);  // a Monday, leap year
  EXPECT_EQ(f.hour, 23);
  EXPECT_EQ(f.day_of_week, 0);
  EXPECT_EQ(f.day_of_month, 31);
  EXPECT_EQ(f.day_of_year, 366);
  const auto feats = unirep::modalities::time_features({unirep::modalities::parse_time("2012-01-01")->seconds},
                                                       unirep::modalities::TimeFormat::Date);  // a Sunday
  EXPECT_NEAR(feats[0][0].item<float>(), -0.5f, 1e-6);
  EXPECT_NEAR(feats[0][1].item<float>(), 0.5f, 1e-6);
  EXPECT_NEAR(feats[0][2].item<float>(), -0.5f, 1e-6);
  EXPECT_NEAR(feats[0][3].item<float>(), -0.5f, 1e-6);
  EXPECT_EQ(unirep::modalities::parse_frequency("1h").value(), 3600);
  EXPECT_EQ(unirep::modalities::parse_frequency("30min").value(), 1800);
  EXPECT_EQ(unirep::modalities::parse_frequency("D").value(), 86400);
  EXPECT_FALSE(unirep::modalities::parse_frequency("0h"));
  EXPECT_FALSE(unirep::modalities::parse_frequency("fortnightly"));
  EXPECT_EQ(unirep::modalities::default_season(3600, unirep::modalities::TimeFormat::DateTime), 24);
  EXPECT_EQ(unirep::modalities::default_season(86400, unirep::modalities::TimeFormat::Date), 7);
}

TEST(SeriesCsv, WideFileWithGapsIsFilledAndCounted) {
  TempDir dir;
  const auto path =
      write(dir, "w.csv", "date,a,b,label\n2020-01-01,1,10,x\n2020-01-02,,NaN,y\n2020-01-03,3,30,z\n2020-01-04,4,,w\n");
  unirep::modalities::SeriesCsvOptions o;
  o.time_col = "date";
  o.targets = {"a"};
  o.covariates = {"b"};
  const auto t = unirep::modalities::read_series_csv(path, o);
  ASSERT_EQ(t.length(), 4u);
  EXPECT_EQ(t.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t.num_targets, 1u);
  EXPECT_EQ(t.filled_missing, 3u);
  EXPECT_FLOAT_EQ(t.at(1, 0), 2.0f);  // interpolated
  EXPECT_FLOAT_EQ(t.at(1, 1), 20.0f);
  EXPECT_FLOAT_EQ(t.at(3, 1), 30.0f);  // trailing gap: the last value
  EXPECT_DOUBLE_EQ(t.step, 86400.0);
  // Default targets: the numeric columns (the text column is left out).
  unirep::modalities::SeriesCsvOptions d;
  EXPECT_EQ(unirep::modalities::read_series_csv(path, d).names, (std::vector<std::string>{"a", "b"}));
  // Default time column: the first one holding dates, wherever it is.
  const auto t2 = unirep::modalities::read_series_csv(
      write(dir, "late.csv", "v,when\n1.5,2010/01/01 00:00:00\n2.5,2010/01/01 01:00:00\n"), d);
  EXPECT_EQ(t2.time_column, "when");
  EXPECT_EQ(t2.names, (std::vector<std::string>{"v"}));
  EXPECT_DOUBLE_EQ(t2.step, 3600.0);
}

TEST(SeriesCsv, LongFormatIsPivotedPerSeries) {
  TempDir dir;
  const auto path = write(dir, "l.csv", "time,series_id,value\n0,x,1\n0,y,5\n1,x,2\n1,y,6\n2,x,3\n2,y,7\n");
  unirep::modalities::SeriesCsvOptions o;
  o.series_id_col = "series_id";
  const auto t = unirep::modalities::read_series_csv(path, o);
  EXPECT_EQ(t.names, (std::vector<std::string>{"x", "y"}));
  ASSERT_EQ(t.length(), 3u);
  EXPECT_FLOAT_EQ(t.at(2, 0), 3.0f);
  EXPECT_FLOAT_EQ(t.at(2, 1), 7.0f);
  o.targets = {"y"};
  EXPECT_EQ(unirep::modalities::read_series_csv(path, o).names, (std::vector<std::string>{"y"}));
}

TEST(SeriesCsv, BadInputNamesTheFileAndLine) {
  TempDir dir;
  auto err = csv_error(write(dir, "unsorted.csv", "t,v\n1,1\n3,2\n2,3\n"));
  EXPECT_NE(err.find("unsorted.csv:4"), std::string::npos) << err;
  EXPECT_NE(err.find("backwards"), std::string::npos) << err;
  err = csv_error(write(dir, "dup.csv", "t,v\n1,1\n1,2\n"));
  EXPECT_NE(err.find("dup.csv:3: duplicate time"), std::string::npos) << err;
  err = csv_error(write(dir, "text.csv", "t,v\n1,1\n2,abc\n"));
  EXPECT_NE(err.find("text.csv:3"), std::string::npos) << err;
  EXPECT_NE(err.find("'abc' is not a number"), std::string::npos) << err;
  err = csv_error(write(dir, "badtime.csv", "t,v\n2020-01-01,1\n2020-02-30,2\n"));
  EXPECT_NE(err.find("badtime.csv:3: cannot read the time"), std::string::npos) << err;
  err = csv_error(write(dir, "cells.csv", "t,v\n1,1\n2,2,3\n"));
  EXPECT_NE(err.find("cells.csv:3: has 3 cells"), std::string::npos) << err;
  err = csv_error(write(dir, "empty.csv", ""));
  EXPECT_NE(err.find("empty.csv: the file is empty"), std::string::npos) << err;
  unirep::modalities::SeriesCsvOptions missing;
  missing.targets = {"nope"};
  err = csv_error(write(dir, "cols.csv", "t,v\n1,1\n2,2\n"), missing);
  EXPECT_NE(err.find("no column 'nope'"), std::string::npos) << err;
  err = csv_error(write(dir, "allgap.csv", "t,v\n1,\n2,NaN\n"));
  EXPECT_NE(err.find("has no values"), std::string::npos) << err;
}

TEST(SeriesCsv, IrregularSpacingIsAnErrorUnlessResampled) {
  TempDir dir;
  const auto path =
      write(dir, "gap.csv", "time,v\n2010-03-14 00:00,0\n2010-03-14 01:00,1\n2010-03-14 03:00,3\n2010-03-14 04:00,4\n");
  const auto err = csv_error(path);
  EXPECT_NE(err.find("gap.csv:4: irregular spacing"), std::string::npos) << err;
  EXPECT_NE(err.find("the resample option"), std::string::npos) << err;
  unirep::modalities::SeriesCsvOptions o;
  o.resample_seconds = 3600;
  const auto t = unirep::modalities::read_series_csv(path, o);
  ASSERT_EQ(t.length(), 5u);
  EXPECT_TRUE(t.resampled);
  EXPECT_FLOAT_EQ(t.at(2, 0), 2.0f);  // the missing hour, interpolated
  EXPECT_FLOAT_EQ(t.at(4, 0), 4.0f);
}

TEST(Windows, SplitWindowsAndStandardizationRoundTrip) {
  unirep::modalities::SeriesTable table;
  table.names = {"a", "b"};
  table.num_targets = 1;
  for (int i = 0; i < 100; ++i) {
    table.times.push_back(i);
    table.values.push_back(static_cast<float>(i));
    table.values.push_back(static_cast<float>(2 * i + 1));
  }
  const auto split = unirep::modalities::chronological_split(100, {}, 10, 5);
  EXPECT_EQ(split.train_rows, 70u);
  EXPECT_EQ(split.validation.begin, 60u);  // seq_len before the first validation row
  EXPECT_EQ(split.test.begin, 70u);
  EXPECT_EQ(split.test.end, 100u);
  const auto starts = unirep::modalities::window_starts(split.test, 10, 5);
  ASSERT_EQ(starts.size(), 16u);
  EXPECT_EQ(starts.front(), 70u);
  EXPECT_EQ(starts.back() + 15, 100u);  // the last test row is a target
  EXPECT_THROW(unirep::modalities::chronological_split(20, {}, 10, 5), std::invalid_argument);

  const auto z = unirep::modalities::Standardizer::fit(table, split.train_rows);
  EXPECT_NEAR(z.mean[0], 34.5f, 1e-4);
  auto copy = table.values;
  z.apply(copy.data(), 100, 2, 2);
  z.restore(copy.data(), 100, 2, 2);
  for (size_t i = 0; i < copy.size(); ++i) EXPECT_NEAR(copy[i], table.values[i], 1e-4);

  sdk::ForecastSpec spec;
  spec.targets = {"a"};
  spec.covariates = {"b"};
  spec.scaler = z;
  spec.time_features = false;
  const auto prepared = sdk::prepare_series(table, spec);
  ASSERT_EQ(prepared.size(1), 1 + unirep::modalities::kNumTimeFeatures + 1);  // target, time features, covariate
  sdk::ForecastWindows w(prepared, starts, 10, 5, 1);
  const auto ex = w.get(3);
  EXPECT_EQ(ex.input.sizes(), (at::IntArrayRef{10, 6}));
  EXPECT_EQ(ex.target.sizes(), (at::IntArrayRef{5, 1}));
  // Restored, the target is the series' rows right after the window.
  EXPECT_NEAR(ex.target[0][0].item<float>() * z.std[0] + z.mean[0], static_cast<float>(starts[3] + 10), 1e-3);
  EXPECT_NEAR(ex.input[9][5].item<float>() * z.std[1] + z.mean[1], static_cast<float>(2 * (starts[3] + 9) + 1), 1e-3);
}

TEST(Decomposition, MovingAverageWithReplicatedEnds) {
  auto x = at::randn({2, 30, 3});
  auto trend = models::moving_average(x, 25);
  ASSERT_EQ(trend.sizes(), x.sizes());
  // Row 0: 12 copies of row 0 in front, then rows 0..12.
  auto expect0 = (x.select(1, 0) * 13 + x.narrow(1, 1, 12).sum(1)) / 25;
  EXPECT_LT((trend.select(1, 0) - expect0).abs().max().item<float>(), 1e-5);
  auto expect15 = x.narrow(1, 3, 25).mean(1);
  EXPECT_LT((trend.select(1, 15) - expect15).abs().max().item<float>(), 1e-5);
  auto [seasonal, t2] = models::decompose_series(x, 25);
  EXPECT_LT((seasonal + t2 - x).abs().max().item<float>(), 1e-5);
}

TEST(LinearBaseline, RecoversAnExactLinearRule) {
  // y[t+h] = 0.5 x[t-1] + 0.25 x[t-2] + 1 for every h: least squares must find it.
  const int64_t L = 6, H = 3;
  auto inputs = at::randn({200, L, 2});
  auto rule = inputs.select(1, L - 1) * 0.5 + inputs.select(1, L - 2) * 0.25 + 1.0;
  auto targets = rule.unsqueeze(1).expand({200, H, 2}).contiguous();
  models::LinearForecaster lin(L, H);
  lin->fit(inputs, targets, 0.0);
  auto pred = lin->forward(inputs);
  EXPECT_LT((pred - targets).abs().max().item<float>(), 1e-3);
  EXPECT_NEAR(lin->weight[0][L - 1].item<float>(), 0.5f, 1e-3);
  EXPECT_NEAR(lin->bias[2].item<float>(), 1.0f, 1e-3);
}

TEST(Baselines, PersistenceAndSeasonalNaive) {
  auto x = at::arange(12, at::kFloat).reshape({1, 12, 1});
  auto p = sdk::persistence_forecast(x, 3);
  EXPECT_EQ(values(p), std::vector<double>({11, 11, 11}));
  auto s = sdk::seasonal_naive_forecast(x, 5, 4);
  // Steps 12..16 take the values of 8, 9, 10, 11, then 8 again (one more season back).
  EXPECT_EQ(values(s), std::vector<double>({8, 9, 10, 11, 8}));
  const auto e = sdk::forecast_errors(at::ones({2, 3, 1}), at::zeros({2, 3, 1}));
  EXPECT_DOUBLE_EQ(e.mse, 1.0);
  EXPECT_DOUBLE_EQ(e.mae, 1.0);
}

}  // namespace
