#include "sdk/train/classification_report.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>

namespace unirep::sdk {

ClassificationReport::ClassificationReport(std::vector<std::string> labels)
    : labels_(std::move(labels)), matrix_(labels_.size() * labels_.size(), 0), per_class_(labels_.size()) {
  if (labels_.empty()) throw std::invalid_argument("a classification report needs at least one class");
}

size_t ClassificationReport::cell(int truth, int predicted) const {
  const auto k = static_cast<int>(labels_.size());
  if (truth < 0 || truth >= k || predicted < 0 || predicted >= k)
    throw std::out_of_range("class index out of range: truth " + std::to_string(truth) + ", predicted " +
                            std::to_string(predicted) + " for " + std::to_string(k) + " classes");
  return static_cast<size_t>(truth) * labels_.size() + static_cast<size_t>(predicted);
}

void ClassificationReport::add(int truth, int predicted, const std::string& group) {
  const size_t at = cell(truth, predicted);
  const bool correct = truth == predicted;
  ++matrix_[at];
  for (Rate* r : {&per_class_[static_cast<size_t>(truth)], &overall_}) r->correct += correct, ++r->total;
  if (!group.empty()) {
    Rate& g = groups_[group];
    g.correct += correct;
    ++g.total;
  }
}

int64_t ClassificationReport::confusion(int truth, int predicted) const {
  return matrix_[cell(truth, predicted)];
}

std::vector<ClassificationReport::Confusion> ClassificationReport::top_confusions(size_t n) const {
  std::vector<Confusion> cells;
  const auto k = static_cast<int>(labels_.size());
  for (int t = 0; t < k; ++t)
    for (int p = 0; p < k; ++p)
      if (t != p && confusion(t, p) > 0) cells.push_back({t, p, confusion(t, p)});
  std::stable_sort(cells.begin(), cells.end(),
                   [](const Confusion& a, const Confusion& b) { return a.count > b.count; });
  if (cells.size() > n) cells.resize(n);
  return cells;
}

std::string ClassificationReport::to_json() const {
  auto rate = [](const Rate& r) {
    return nlohmann::json{{"top1", r.percent()}, {"correct", r.correct}, {"total", r.total}};
  };
  nlohmann::json j;
  j["top1"] = overall_.percent();
  j["examples"] = overall_.total;
  j["labels"] = labels_;
  nlohmann::json per_class = nlohmann::json::object();
  for (size_t c = 0; c < labels_.size(); ++c) per_class[labels_[c]] = rate(per_class_[c]);
  j["per_class"] = per_class;
  nlohmann::json matrix = nlohmann::json::array();
  for (size_t t = 0; t < labels_.size(); ++t)
    matrix.push_back(std::vector<int64_t>(matrix_.begin() + static_cast<std::ptrdiff_t>(t * labels_.size()),
                                          matrix_.begin() + static_cast<std::ptrdiff_t>((t + 1) * labels_.size())));
  j["confusion"] = matrix;  // rows: true class, columns: predicted class, in label order
  nlohmann::json groups = nlohmann::json::object();
  for (const auto& [name, r] : groups_) groups[name] = rate(r);
  j["groups"] = groups;
  return j.dump() + "\n";
}

}  // namespace unirep::sdk
