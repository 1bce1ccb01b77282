#pragma once
// What `unirep evaluate audio|image|video|points` gives back for a classifier: the metrics, and for
// a single-label model where it goes wrong (accuracy per class, the most frequent confusions,
// accuracy per group such as a speaker), printed as "key value" lines and, with --report, written
// as one JSON file.
#include "models/io/atomic_file.h"
#include "sdk/tasks/task_recipe.h"
#include "sdk/train/classification_report.h"

#include <map>
#include <optional>
#include <string>

namespace unirep::cli {

// The metrics, then, when there is a report, class_top1/<label>, the five most frequent confusions
// ("confused off->on 65") and <group_kind>_top1/<group> lines.
void print_classifier_evaluation(const sdk::Evaluation& e);

// --report FILE.json: opened before the evaluation starts, so that a path that cannot be written
// fails at once, and replaced as a whole only when the report is complete.
class ReportFile {
 public:
  explicit ReportFile(const std::string& path);  // "" = no report
  bool wanted() const { return file_.has_value(); }
  void write(const sdk::ClassificationReport& report);

 private:
  std::optional<io::AtomicFile> file_;
};

}  // namespace unirep::cli
