#pragma once
// Checks shared by the `unirep evaluate <task> --report` tests: the JSON report must agree with
// itself and with the printed accuracy.
#include <string>

namespace unirep::testing {

// The report at `path` counts `examples` examples in its confusion matrix and in its per-class
// totals, has one per-class entry per label (`classes`), and its top1 equals `printed_top1`; the
// printed output `cli_output` has a class_top1/<label> line for every label. Adds a failure
// otherwise.
void expect_consistent_report(const std::string& path, int examples, int classes, double printed_top1,
                              const std::string& cli_output);

}  // namespace unirep::testing
