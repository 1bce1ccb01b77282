#pragma once
// The data sets `unirep data` makes, one table (docs/cli.md, "Data sets"): each maker has a name, the
// training task its data set feeds, one table of options (sdk::Option, the same kind the task recipes
// use, so the CLI derives its flags from it as `train` does) and the function that makes it. Adding
// a data set is one entry here and its maker's files.
#include "sdk/tasks/settings.h"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace unirep::data_makers {

// What a finished maker reports: the line the CLI prints, and notes worth a warning.
struct DataSetReport {
  std::string summary;             // "DIR: 480 train, 120 validation, 120 test clips"
  std::vector<std::string> notes;  // "flite is not installed; its voices are missing"
};

// progress(done, total), called as items are written.
using DataSetProgress = std::function<void(size_t, size_t)>;

struct DataSetMaker {
  std::string name;                  // "keywords": `unirep data keywords`
  std::string description;           // one line
  std::string task;                  // the training task the data set feeds ("audio")
  std::string unit;                  // what progress counts ("clip")
  std::vector<sdk::Option> options;  // "out" (the required output folder) first
  std::function<DataSetReport(const sdk::Settings&, const DataSetProgress&)> make;
};

const std::vector<DataSetMaker>& data_set_makers();

}  // namespace unirep::data_makers
