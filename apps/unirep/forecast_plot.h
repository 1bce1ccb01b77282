#pragma once
// A PNG of a forecast (Cairo): one panel per target variable with the recent history, the
// forecast, and for a back-test the truth, with the value range and the time span labelled.
#include <string>
#include <vector>

namespace unirep::cli {

struct PlotSeries {
  std::string name;
  std::vector<double> history, forecast, truth;  // truth empty unless back-testing
};

// x positions are step indices: history at -len..-1, forecast and truth at 0..H-1. `first_time`
// and `last_time` label the axis. Written atomically (temporary file, then rename).
void plot_forecast(const std::string& path, const std::vector<PlotSeries>& series, const std::string& first_time,
                   const std::string& forecast_start, const std::string& last_time, const std::string& title);

}  // namespace unirep::cli
