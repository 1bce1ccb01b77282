// read_series_csv with automatic columns (wide format, or long format with an "id" column) on any
// bytes.
#include "modalities/timeseries/series_csv.h"

#include <exception>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = unirep::fuzz::write_input(data, size, ".csv");
  try {
    unirep::modalities::SeriesCsvOptions o;
    if (size > 0 && data[0] % 3 == 0) o.resample_seconds = 3600;
    if (size > 0 && data[0] % 5 == 1) o.series_id_col = "id";
    o.input_limits.max_bytes = 1 << 20;
    (void)unirep::modalities::read_series_csv(path, o);
  } catch (const std::exception&) {
  }
  return 0;
}
