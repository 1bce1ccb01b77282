#include "classifier_evaluation.h"

#include <cstdio>

namespace unirep::cli {

void print_classifier_evaluation(const sdk::Evaluation& e) {
  const auto& group_kind = e.group_kind;
  for (const auto& [k, v] : e.metrics) std::printf("%s %.6g\n", k.c_str(), v);
  if (!e.report) return;
  const auto& r = *e.report;
  for (size_t c = 0; c < r.labels().size(); ++c)
    std::printf("class_top1/%s %.6g\n", r.labels()[c].c_str(), r.class_rate(static_cast<int>(c)).percent());
  for (const auto& c : r.top_confusions(5))
    std::printf("confused %s->%s %lld\n", r.labels()[static_cast<size_t>(c.truth)].c_str(),
                r.labels()[static_cast<size_t>(c.predicted)].c_str(), static_cast<long long>(c.count));
  for (const auto& [group, rate] : r.groups())
    std::printf("%s_top1/%s %.6g (%lld of %lld)\n", group_kind.c_str(), group.c_str(), rate.percent(),
                static_cast<long long>(rate.correct), static_cast<long long>(rate.total));
}

ReportFile::ReportFile(const std::string& path) {
  if (!path.empty()) file_.emplace(path);
}

void ReportFile::write(const sdk::ClassificationReport& report) {
  if (!file_) return;
  file_->write(report.to_json());
  file_->commit();
}

}  // namespace unirep::cli
