#include "label_scores_output.h"

#include "models/io/text_escape.h"

#include <cstdio>

namespace unirep::cli {

nlohmann::json label_scores_json(const std::vector<LabelScore>& top) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : top)
    out.push_back({{"label", io::utf8_for_json(t.label)}, {"index", t.index}, {"score", t.score}});
  return out;
}

void print_label_scores(const std::vector<LabelScore>& top, int width) {
  for (const auto& t : top) std::printf("  %-*s %.4f\n", width, t.label.c_str(), t.score);
}

}  // namespace unirep::cli
