#pragma once
// Model files for the API and CLI tests (model_files.h), and the ones that need the CLI.
#include "model_files.h"

#include <string>
#include <vector>

namespace unirep::testing {

// A forecaster trained for one epoch on `csv` (hourly rows "time,a,b") by the CLI.
void write_forecaster(const std::string& csv, const std::string& path);
// Hourly sinusoids from 2020-01-01 00:00, columns time,a,b.
std::string sinusoid_csv(int rows);

}  // namespace unirep::testing
