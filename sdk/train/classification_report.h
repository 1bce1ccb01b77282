#pragma once
// Where a classifier goes wrong, beyond one accuracy number: accuracy per class, the confusion
// matrix, and accuracy per group of examples. For speech the groups are speakers: a keyword model
// is judged on voices it has not heard, and one weak voice hides inside a good average.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace unirep::sdk {

class ClassificationReport {
 public:
  struct Rate {
    int64_t correct = 0, total = 0;
    double percent() const { return total ? 100.0 * static_cast<double>(correct) / static_cast<double>(total) : 0.0; }
  };
  struct Confusion {
    int truth, predicted;
    int64_t count;
  };

  explicit ClassificationReport(std::vector<std::string> labels);

  // One example: its true class, the predicted class (indices into labels()), and its group ("" for none).
  // Throws std::out_of_range for a class index outside the labels.
  void add(int truth, int predicted, const std::string& group = "");

  const std::vector<std::string>& labels() const { return labels_; }
  Rate overall() const { return overall_; }
  Rate class_rate(int truth) const { return per_class_.at(static_cast<size_t>(truth)); }
  int64_t confusion(int truth, int predicted) const;
  // Groups in name order; empty when no example had a group.
  const std::map<std::string, Rate>& groups() const { return groups_; }
  // The off-diagonal cells with a count, most frequent first (ties in class order), at most n.
  std::vector<Confusion> top_confusions(size_t n) const;

  // {"top1", "labels", "per_class": {label: {"top1", "correct", "total"}}, "confusion": rows = truth,
  //  "groups": {name: {...}}} as a JSON document.
  std::string to_json() const;

 private:
  size_t cell(int truth, int predicted) const;  // index into matrix_; throws std::out_of_range
  std::vector<std::string> labels_;
  std::vector<int64_t> matrix_;  // truth-major, labels x labels
  std::vector<Rate> per_class_;
  std::map<std::string, Rate> groups_;
  Rate overall_;
};

}  // namespace unirep::sdk
