// Timestamps written back in the input's own convention (UTC offset, notation, fraction digits),
// the calendar's edges (years 0001..9999, impossible dates) reported with their reason, and the
// CSV reader's text and value checks: a non-UTF-8 header, cells quoted safely in messages, values
// beyond the documented magnitude (docs/timeseries.md, Data).
#include "modalities/timeseries/series_csv.h"
#include "modalities/timeseries/time_stamp.h"

#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include "support/test_support.h"
#include "csv_error.h"

using unirep::testing::csv_error;

namespace {
using unirep::testing::TempDir;

std::string write(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// `text` parsed, `seconds_later` added, written back in its own style.
std::string later(const std::string& text, double seconds_later) {
  const auto t = unirep::modalities::parse_time(text);
  if (!t) return "(unparsable)";
  return unirep::modalities::format_time(t->seconds + seconds_later, *t);
}

TEST(TimeStampConvention, UtcOffsetsAreKeptInTheirOwnNotation) {
  EXPECT_EQ(later("2024-03-01T00:00:00+02:00", 3600), "2024-03-01T01:00:00+02:00");
  EXPECT_EQ(later("2024-03-01T23:00:00+02:00", 3600), "2024-03-02T00:00:00+02:00");  // the local day rolls over
  EXPECT_EQ(later("2024-03-01 00:00-0530", 1800), "2024-03-01 00:30-0530");
  EXPECT_EQ(later("2024-03-01T00:00:00Z", 86400), "2024-03-02T00:00:00Z");
  EXPECT_EQ(later("2024-03-01T00:00+02", 60), "2024-03-01T00:01+02");
  // The value is the instant: 00:00 at +02:00 is 22:00 UTC the day before.
  EXPECT_DOUBLE_EQ(unirep::modalities::parse_time("2024-03-01T00:00:00+02:00")->seconds,
                   unirep::modalities::parse_time("2024-02-29T22:00:00Z")->seconds);
}

TEST(TimeStampConvention, FractionsOfSecondsAndPlainNumbersKeepTheirDigits) {
  EXPECT_EQ(later("2024-03-01 12:00:00.250", 0.5), "2024-03-01 12:00:00.750");
  EXPECT_EQ(later("2024-03-01 12:00:59.9", 0.1), "2024-03-01 12:01:00.0");
  EXPECT_EQ(later("1700000000.5", 1), "1700000001.5");                  // fractional Unix seconds
  EXPECT_EQ(later("1700000000000000000", 1e9), "1700000001000000000");  // Unix nanoseconds, every digit
}

TEST(TimeStampConvention, FormattingPastTheYear9999IsAnErrorNotAWrap) {
  const auto t = unirep::modalities::parse_time("9999-12-31 23:00");
  ASSERT_TRUE(t);
  EXPECT_EQ(unirep::modalities::format_time(t->seconds, *t), "9999-12-31 23:00");
  EXPECT_THROW(unirep::modalities::format_time(t->seconds + 3600, *t), std::out_of_range);
  // The local year decides: 23:00 at -05:00 is already 10000-01-01 in UTC, still 9999 locally.
  const auto west = unirep::modalities::parse_time("9999-12-31T23:00:00-05:00");
  ASSERT_TRUE(west);
  EXPECT_EQ(unirep::modalities::format_time(west->seconds, *west), "9999-12-31T23:00:00-05:00");
  EXPECT_THROW(unirep::modalities::format_time(west->seconds + 3600, *west), std::out_of_range);
  EXPECT_FALSE(unirep::modalities::parse_time("0000-01-01"));
  EXPECT_FALSE(unirep::modalities::parse_time("10000-01-01"));
  EXPECT_FALSE(unirep::modalities::parse_time("-0001-01-01"));
}

TEST(TimeStampConvention, ImpossibleTimesNameTheFileTheLineAndTheReason) {
  TempDir dir;
  const std::string good = "2024-01-01 00:00,1\n";
  const struct {
    const char* time;
    const char* reason;
  } cases[] = {
      {"10000-01-01 00:00", "year 10000 has more than four digits: years after 9999 are not supported"},
      {"0000-01-01 00:00", "year 0000 is not supported"},
      {"-0001-01-01 00:00", "negative years are not supported"},
      {"2024-13-01 00:00", "month 13 does not exist"},
      {"2015-02-30 00:00", "day 30 does not exist in 2015-02 (28 days)"},
      {"2024-01-01 25:00", "hour 25 is out of range"},
      {"2024-01-01 00:00+24:00", "the UTC offset +24:00 is out of range"},
  };
  for (const auto& c : cases) {
    const auto err = csv_error(write(dir, "t.csv", "time,v\n" + good + c.time + ",2\n"));
    EXPECT_NE(err.find("t.csv:3: cannot read the time '" + std::string(c.time) + "': " + c.reason), std::string::npos)
        << c.time << ": " << err;
  }
}

TEST(TimeStampConvention, OffsetsMayChangeButNotComeAndGo) {
  TempDir dir;
  // Central European time around the 2024-03-31 change: 01:00+01:00 is 00:00 UTC, 03:00+02:00 is
  // 01:00 UTC, so the hourly series stays regular.
  const auto dst = write(dir, "dst.csv",
                         "time,v\n2024-03-31T00:00:00+01:00,1\n2024-03-31T01:00:00+01:00,2\n"
                         "2024-03-31T03:00:00+02:00,3\n2024-03-31T04:00:00+02:00,4\n");
  const auto t = unirep::modalities::read_series_csv(dst, {});
  EXPECT_DOUBLE_EQ(t.step, 3600.0);
  EXPECT_EQ(unirep::modalities::format_time(t.times.back() + 3600, t.time_style),
            "2024-03-31T05:00:00+02:00");  // the last row's offset
  const auto mixed = write(dir, "mixed.csv", "time,v\n2024-03-31T00:00:00+01:00,1\n2024-03-31T01:00:00,2\n");
  const auto err = csv_error(mixed);
  EXPECT_NE(err.find("mixed.csv:3: the time '2024-03-31T01:00:00' has no UTC offset, the first row's has one"),
            std::string::npos)
      << err;
}

TEST(SeriesCsvText, A1252HeaderIsRefusedNamingTheByteAndTheFile) {
  TempDir dir;
  const auto path = write(dir, "cp1252.csv", "time,temp\xE9rature\n2024-01-01,1\n2024-01-02,2\n");
  const auto err = csv_error(path);
  EXPECT_NE(err.find("cp1252.csv:1: the header is not valid UTF-8 (byte 0xE9 at column 10); save the file as UTF-8"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find('\xE9'), std::string::npos);
  // The same header in UTF-8 (and with a byte-order mark) is fine.
  EXPECT_EQ(csv_error(write(dir, "utf8.csv", "\xEF\xBB\xBFtime,temp\xC3\xA9rature\n2024-01-01,1\n2024-01-02,2\n")), "");
}

TEST(SeriesCsvText, CellsInMessagesAreEscapedAndCut) {
  TempDir dir;
  const std::string cell = "\x01\xFF" + std::string(5000, 'x');
  const auto err = csv_error(write(dir, "cell.csv", "time,v\n2024-01-01,1\n2024-01-02," + cell + "\n"));
  EXPECT_NE(err.find("cell.csv:3: column 'v': '\\x01\\xFFxxx"), std::string::npos) << err;
  EXPECT_NE(err.find("...' is not a number"), std::string::npos) << err;
  EXPECT_LT(err.size(), 300u) << err;
  EXPECT_EQ(err.find('\xFF'), std::string::npos);
  EXPECT_EQ(err.find('\x01'), std::string::npos);
  const auto time_err = csv_error(write(dir, "time.csv", "time,v\n2024-01-01,1\n\x1b[31m\xC0,2\n"));
  EXPECT_NE(time_err.find("time.csv:3: cannot read the time '\\x1B[31m\\xC0'"), std::string::npos) << time_err;
}

TEST(SeriesCsvValues, ValuesBeyondTheSupportedMagnitudeAreRefused) {
  TempDir dir;
  auto err = csv_error(write(dir, "big.csv", "time,a,b\n2024-01-01,1,2\n2024-01-02,3e38,2\n"));
  EXPECT_NE(err.find("big.csv:3: column 'a': '3e38' is beyond the supported magnitude (|value| <= 1e+15)"),
            std::string::npos)
      << err;
  err = csv_error(write(dir, "neg.csv", "time,a\n2024-01-01,1\n2024-01-02,-2e15\n"));
  EXPECT_NE(err.find("neg.csv:3: column 'a': '-2e15' is beyond"), std::string::npos) << err;
  err = csv_error(write(dir, "inf.csv", "time,a\n2024-01-01,1\n2024-01-02,inf\n"));
  EXPECT_NE(err.find("inf.csv:3: column 'a': 'inf' is infinite"), std::string::npos) << err;
  unirep::modalities::SeriesCsvOptions long_format;
  long_format.series_id_col = "id";
  err = csv_error(write(dir, "long.csv", "time,id,value\n2024-01-01,x,1\n2024-01-02,x,1e16\n"), long_format);
  EXPECT_NE(err.find("long.csv:3: column 'value': '1e16' is beyond"), std::string::npos) << err;
  // The bound itself is fine.
  const auto t =
      unirep::modalities::read_series_csv(write(dir, "edge.csv", "time,a\n2024-01-01,1e15\n2024-01-02,-1e15\n"), {});
  EXPECT_FLOAT_EQ(t.at(0, 0), 1e15f);
}

}  // namespace
