#include "test_models.h"

#include "modalities/timeseries/time_stamp.h"
#include <support/test_support.h>

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace unirep::testing {

std::string sinusoid_csv(int rows) {
  std::ostringstream s;
  s << "time,a,b\n";
  const auto style = *modalities::parse_time("2020-01-01 00:00");
  for (int i = 0; i < rows; ++i) {
    const double a = std::sin(2 * M_PI * i / 24.0) + 0.3 * std::sin(2 * M_PI * i / 7.0);
    const double b = 2.0 * std::cos(2 * M_PI * i / 24.0) + 10;
    s << modalities::format_time(style.seconds + i * 3600.0, style) << "," << a << "," << b << "\n";
  }
  return s.str();
}

void write_forecaster(const std::string& csv, const std::string& path) {
  auto r = run_cli({"forecast", "train", "--csv", csv, "--seq-len", "24", "--pred-len", "6", "--d-model", "48",
                    "--epochs", "1", "--out", path, "--seed", "1", "--threads", "1"});
  if (r.exit_code != 0) throw std::runtime_error("forecast train failed: " + r.output);
}

}  // namespace unirep::testing
