// forecast_csv: the next steps of a time series, from a CSV laid out like the training file.
//
//   forecast_csv forecaster.safetensors series.csv
//
// The model file comes from `unirep forecast train`. Prints a CSV: time, then one column per target.
#include <unirep/unirep.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODEL.safetensors SERIES.csv\n", argv[0]);
    return 2;
  }
  try {
    const unirep::Forecaster forecaster(argv[1]);
    const auto forecast = forecaster.forecast_csv(argv[2]);
    std::printf("time");
    for (const auto& name : forecast.targets) std::printf(",%s", name.c_str());
    std::printf("\n");
    for (size_t step = 0; step < forecast.steps(); ++step) {
      std::printf("%s", forecast.timestamps[step].c_str());
      for (size_t t = 0; t < forecast.targets.size(); ++t) std::printf(",%g", forecast.at(step, t));
      std::printf("\n");
    }
    return 0;
  } catch (const unirep::Error& e) {
    std::fprintf(stderr, "forecast_csv: %s (%s)\n", e.what(), unirep::status_name(e.code()));
    return 1;
  }
}
