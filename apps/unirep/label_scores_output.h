#pragma once
// How the classify commands show a file's best classes: "  label   0.9312" lines, and the "top"
// array of their --json output (docs/cli.md).
#include <unirep/api/results.h>

#include <nlohmann/json.hpp>

#include <vector>

namespace unirep::cli {

// [{"index": 3, "label": "...", "score": 0.93}, ...], labels made valid UTF-8 for JSON.
nlohmann::json label_scores_json(const std::vector<LabelScore>& top);
// One "  label score" line each, labels padded to `width` characters.
void print_label_scores(const std::vector<LabelScore>& top, int width);

}  // namespace unirep::cli
