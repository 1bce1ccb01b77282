// unirep forecast on hostile input, end to end through the CLI under a memory cap and a timeout:
// forecast timestamps keep the input's UTC offset, impossible and out-of-range times are named,
// a forecast past 9999 is an error, values that would overflow float math are refused, a
// non-UTF-8 header names the file, a damaged model file (std 0, NaN weights) never yields NaN with
// success, and endless or silent inputs (/dev/zero, an endless FIFO, a FIFO with no writer) end
// with a clear message (docs/timeseries.md, Data).
#include "sdk/model_file.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "support/test_support.h"

namespace {
// "YYYY-MM-DDTHH:MM:SS" of a UTC instant shifted by `offset_minutes`, followed by `suffix`.
std::string stamp(int64_t utc, int offset_minutes, const std::string& suffix) {
  const time_t local = static_cast<time_t>(utc + offset_minutes * 60);
  std::tm tm{};
  gmtime_r(&local, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf + suffix;
}

int64_t utc_of(int year, int month, int day, int hour) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  return static_cast<int64_t>(timegm(&tm));
}

// Hourly rows "time,a,b" from the UTC instant `first`: a daily sinusoid and a shifted one around 10.
// `time_of(i, utc)` writes row i's time.
std::string hourly_csv(int64_t first, int rows, const std::function<std::string(int, int64_t)>& time_of) {
  std::ostringstream s;
  s << "time,a,b\n";
  for (int i = 0; i < rows; ++i) {
    const double a = std::sin(2 * M_PI * i / 24.0) + 0.3 * std::sin(2 * M_PI * i / 7.0);
    const double b = 2.0 * std::cos(2 * M_PI * i / 24.0) + 10;
    s << time_of(i, first + i * 3600) << "," << a << "," << b << "\n";
  }
  return s.str();
}

// Hourly rows at UTC offset +02:00: 2020-01-01T00:00:00+02:00, ...
std::string plus_two_csv(int rows) {
  return hourly_csv(utc_of(2020, 1, 1, 0) - 7200, rows, [](int, int64_t t) { return stamp(t, 120, "+02:00"); });
}

std::string first_cell(const std::string& line) {
  return line.substr(0, line.find(','));
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// One forecaster for the suite, trained on times with a +02:00 offset (seq 24, pred 6).
class ForecastHostile : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<unirep::testing::TempDir>();
    const auto csv = dir_->file("train.csv");
    unirep::testing::write_bytes(csv, plus_two_csv(300));
    const auto r = unirep::testing::run_cli({"forecast", "train", "--csv", csv, "--seq-len", "24", "--pred-len", "6",
                                             "--d-model", "48", "--epochs", "1", "--out", dir_->file("m.safetensors"),
                                             "--seed", "1", "--threads", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string model() { return dir_->file("m.safetensors"); }

  // The model with its task settings edited by `edit` and its tensors by `tensors`.
  std::string edited_model(const std::string& name, const std::function<void(nlohmann::json&)>& edit,
                           const std::function<void(at::Tensor&)>& tensors = nullptr) {
    auto file = unirep::sdk::read_model_file(model(), "forecaster");
    auto task = nlohmann::json::parse(file.task_json);
    if (edit) edit(task);
    file.task_json = task.dump();
    if (tensors)
      for (auto& t : file.tensors)
        if (t.tensor.is_floating_point()) tensors(t.tensor);
    const auto path = d.file(name);
    unirep::sdk::write_model_file(path, file);
    return path;
  }

  unirep::testing::LimitedResult predict(const std::string& csv, const std::string& out,
                                         const std::string& model_path = model()) {
    return unirep::testing::run_cli_limited(
        {"forecast", "predict", "--csv", csv, "--model", model_path, "--output", out, "--threads", "1"},
        {6ull << 30, 120});
  }

  static std::unique_ptr<unirep::testing::TempDir> dir_;
  unirep::testing::TempDir d;
};
std::unique_ptr<unirep::testing::TempDir> ForecastHostile::dir_;

TEST_F(ForecastHostile, PredictWritesTheInputsUtcOffsetInItsOwnNotation) {
  unirep::testing::write_bytes(d.file("p.csv"), plus_two_csv(100));  // the last row is 2020-01-05T03:00:00+02:00
  auto r = predict(d.file("p.csv"), d.file("p_out.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto out = lines_of(d.file("p_out.csv"));
  ASSERT_EQ(out.size(), 7u);
  EXPECT_EQ(first_cell(out[1]), "2020-01-05T04:00:00+02:00");
  EXPECT_EQ(first_cell(out[6]), "2020-01-05T09:00:00+02:00");

  // The same instants written at -05:30 without a colon: forecasts follow that notation.
  unirep::testing::write_bytes(d.file("q.csv"), hourly_csv(utc_of(2020, 1, 1, 0) - 7200, 100,
                                                           [](int, int64_t t) { return stamp(t, -330, "-0530"); }));
  r = predict(d.file("q.csv"), d.file("q_out.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  out = lines_of(d.file("q_out.csv"));
  ASSERT_EQ(out.size(), 7u);
  EXPECT_EQ(first_cell(out[1]), "2020-01-04T20:30:00-0530");  // 2020-01-05T02:00Z
}

TEST_F(ForecastHostile, ADaylightSavingChangeStaysRegularAndForecastsUseTheLastOffset) {
  // +01:00 for the first 50 rows, then +02:00: one instant per hour throughout.
  unirep::testing::write_bytes(d.file("dst.csv"), hourly_csv(utc_of(2024, 3, 29, 0), 100, [](int i, int64_t t) {
                                 return i < 50 ? stamp(t, 60, "+01:00") : stamp(t, 120, "+02:00");
                               }));
  const auto r = predict(d.file("dst.csv"), d.file("dst_out.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto out = lines_of(d.file("dst_out.csv"));
  ASSERT_EQ(out.size(), 7u);
  EXPECT_EQ(first_cell(out[1]), stamp(utc_of(2024, 3, 29, 0) + 100 * 3600, 120, "+02:00"));

  // Times with and without an offset in one column are ambiguous: an error naming the line.
  unirep::testing::write_bytes(d.file("mixed.csv"), hourly_csv(utc_of(2024, 3, 29, 0), 100, [](int i, int64_t t) {
                                 return i < 50 ? stamp(t, 120, "+02:00") : stamp(t, 120, "");
                               }));
  const auto m = predict(d.file("mixed.csv"), d.file("mixed_out.csv"));
  EXPECT_EQ(m.exit_code, 1) << m.output;
  EXPECT_NE(m.output.find("mixed.csv:52: the time '" + stamp(utc_of(2024, 3, 29, 0) + 50 * 3600, 120, "") +
                          "' has no UTC offset, the first row's has one"),
            std::string::npos)
      << m.output;
  EXPECT_FALSE(unirep::testing::file_exists(d.file("mixed_out.csv")));
}

TEST_F(ForecastHostile, ImpossibleAndOutOfRangeTimesAreNamedWithTheirReason) {
  const struct {
    const char* time;
    const char* reason;
  } cases[] = {
      {"10000-01-01T00:00:00+02:00", "year 10000 has more than four digits: years after 9999 are not supported"},
      {"0000-01-01T00:00:00+02:00", "year 0000 is not supported (years 0001 to 9999)"},
      {"2020-13-01T00:00:00+02:00", "month 13 does not exist"},
      {"2021-02-30T00:00:00+02:00", "day 30 does not exist in 2021-02 (28 days)"},
  };
  for (const auto& c : cases) {
    std::string csv = plus_two_csv(60);
    const auto line4 = csv.find('\n', csv.find('\n', csv.find('\n') + 1) + 1) + 1;  // the start of line 4
    csv.replace(line4, csv.find(',', line4) - line4, c.time);
    unirep::testing::write_bytes(d.file("t.csv"), csv);
    const auto r = predict(d.file("t.csv"), d.file("t_out.csv"));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("t.csv:4: cannot read the time '" + std::string(c.time) + "': " + c.reason),
              std::string::npos)
        << c.time << ": " << r.output;
    EXPECT_FALSE(unirep::testing::file_exists(d.file("t_out.csv")));
  }
}

TEST_F(ForecastHostile, AForecastPastTheYear9999IsAnErrorNotAWrappedDate) {
  // The last row is 9999-12-31T21:00:00+02:00; the third forecast step would be 10000-01-01.
  const int64_t last = utc_of(9999, 12, 31, 19);
  unirep::testing::write_bytes(
      d.file("end.csv"), hourly_csv(last - 99 * 3600, 100, [](int, int64_t t) { return stamp(t, 120, "+02:00"); }));
  const auto r = predict(d.file("end.csv"), d.file("end_out.csv"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("end.csv: the forecast's step 3 cannot be written: the time is after the year 9999"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(unirep::testing::file_exists(d.file("end_out.csv")));
}

TEST_F(ForecastHostile, ValuesThatWouldOverflowFloatMathAreRefusedByEveryCommand) {
  std::string csv = plus_two_csv(100);
  csv.replace(csv.rfind(',') + 1, std::string::npos, "3e38\n");  // b of the last row, line 101
  unirep::testing::write_bytes(d.file("big.csv"), csv);
  const std::string expected = "big.csv:101: column 'b': '3e38' is beyond the supported magnitude";
  auto r = predict(d.file("big.csv"), d.file("big_out.csv"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(expected), std::string::npos) << r.output;
  EXPECT_FALSE(unirep::testing::file_exists(d.file("big_out.csv")));
  r = unirep::testing::run_cli_limited({"forecast", "eval", "--csv", d.file("big.csv"), "--model", model(), "--json"},
                                       {6ull << 30, 120});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(expected), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("nan"), std::string::npos) << r.output;
  r = unirep::testing::run_cli_limited(
      {"forecast", "train", "--csv", d.file("big.csv"), "--seq-len", "24", "--pred-len", "6", "--d-model", "48",
       "--epochs", "1", "--out", d.file("big.safetensors")},
      {6ull << 30, 120});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(expected), std::string::npos) << r.output;
  EXPECT_FALSE(unirep::testing::file_exists(d.file("big.safetensors")));
}

TEST_F(ForecastHostile, ANonUtf8HeaderNamesTheFileAndTheByte) {
  std::string csv = plus_two_csv(300);
  csv.replace(0, csv.find('\n'), "time,a,b,temp\xE9rature");  // cp1252 "température", an extra column
  std::string body;
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  body = line + "\n";
  while (std::getline(in, line)) body += line + ",1\n";
  unirep::testing::write_bytes(d.file("cp1252.csv"), body);
  const auto r = unirep::testing::run_cli_limited(
      {"forecast", "train", "--csv", d.file("cp1252.csv"), "--seq-len", "24", "--pred-len", "6", "--d-model", "48",
       "--epochs", "1", "--out", d.file("h.safetensors")},
      {6ull << 30, 120});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(
      r.output.find("cp1252.csv:1: the header is not valid UTF-8 (byte 0xE9 at column 14); save the file as UTF-8"),
      std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find('\xE9'), std::string::npos) << "a raw cp1252 byte in the message";
  EXPECT_FALSE(unirep::testing::file_exists(d.file("h.safetensors")));
}

TEST_F(ForecastHostile, AModelWithAnUnusableStandardizationIsRefusedAtLoad) {
  const struct {
    const char* name;
    std::function<void(nlohmann::json&)> edit;
    const char* problem;
  } cases[] = {
      {"std0.safetensors", [](nlohmann::json& j) { j["scaler"]["std"][0] = 0.0; },
       "the stored standardization of 'a' has std 0"},
      {"stdneg.safetensors", [](nlohmann::json& j) { j["scaler"]["std"][1] = -2.0; },
       "the stored standardization of 'b' has std -2"},
      {"meanbig.safetensors", [](nlohmann::json& j) { j["scaler"]["mean"][0] = 1e20; },
       "the stored standardization of 'a' has mean 1e+20"},
  };
  unirep::testing::write_bytes(d.file("p.csv"), plus_two_csv(100));
  for (const auto& c : cases) {
    const auto path = edited_model(c.name, c.edit);
    auto r = predict(d.file("p.csv"), d.file("out.csv"), path);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find(std::string(c.name) + ": " + c.problem), std::string::npos) << r.output;
    EXPECT_FALSE(unirep::testing::file_exists(d.file("out.csv")));
    r = unirep::testing::run_cli_limited({"forecast", "eval", "--csv", d.file("p.csv"), "--model", path, "--json"},
                                         {6ull << 30, 120});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find(std::string(c.name) + ": " + c.problem), std::string::npos) << r.output;
  }
}

TEST_F(ForecastHostile, OverflowingWeightsNeverGiveANaNResultWithSuccess) {
  // Finite weights (NaN ones are refused by the loader) whose products overflow float.
  const auto path = edited_model("huge.safetensors", nullptr, [](at::Tensor& t) { t.fill_(3e38); });
  unirep::testing::write_bytes(d.file("p.csv"), plus_two_csv(300));
  auto r = predict(d.file("p.csv"), d.file("huge_out.csv"), path);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("huge.safetensors: the forecast for " + d.file("p.csv") + " is not finite"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(unirep::testing::file_exists(d.file("huge_out.csv")));
  r = unirep::testing::run_cli_limited({"forecast", "eval", "--csv", d.file("p.csv"), "--model", path, "--json"},
                                       {6ull << 30, 120});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("p.csv: the forecaster's errors on the test windows are not finite"), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("\"mse\""), std::string::npos) << r.output;
}

TEST_F(ForecastHostile, DevZeroIsCutOffAtTheSizeLimit) {
  const auto r = predict("/dev/zero", d.file("z_out.csv"));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("/dev/zero: is not a regular file and gave more than"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("256 MiB"), std::string::npos) << r.output;
  EXPECT_FALSE(unirep::testing::file_exists(d.file("z_out.csv")));
}

TEST_F(ForecastHostile, AnEndlessFifoIsCutOffAtTheSizeLimit) {
  const auto fifo = d.file("endless.csv");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  signal(SIGPIPE, SIG_IGN);
  std::atomic<bool> stop{false};
  // Like `yes 1 > endless.csv` after a header: a line that never ends, written until the reader goes.
  std::thread writer([&] {
    int fd = -1;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (fd < 0 && !stop && std::chrono::steady_clock::now() < deadline) {
      fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // ENXIO until the reader opens it
      if (fd < 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (fd < 0) return;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    const std::string header = "time,a,b\n", ones(1 << 16, '1');
    if (write(fd, header.data(), header.size()) > 0)
      while (!stop && write(fd, ones.data(), ones.size()) > 0) {
      }
    close(fd);
  });
  const auto r = predict(fifo, d.file("f_out.csv"));
  stop = true;
  writer.join();
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(fifo + ": is not a regular file and gave more than"), std::string::npos) << r.output;
  EXPECT_FALSE(unirep::testing::file_exists(d.file("f_out.csv")));
}

TEST_F(ForecastHostile, AFifoWithNoWriterFailsInsteadOfBlocking) {
  const auto fifo = d.file("silent.csv");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  const auto r = unirep::testing::run_cli_limited(
      {"forecast", "predict", "--csv", fifo, "--model", model(), "--output", d.file("s_out.csv")}, {6ull << 30, 60});
  EXPECT_FALSE(r.timed_out) << "blocked on a FIFO nobody writes to";
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(fifo + ": no data came within"), std::string::npos) << r.output;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 50.0);
  EXPECT_FALSE(unirep::testing::file_exists(d.file("s_out.csv")));
}

}  // namespace
