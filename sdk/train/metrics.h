#pragma once
// Evaluation metrics accumulated over batches: loss, top-1 / top-5 accuracy (single-label and,
// via argmax of target, multi-label/soft targets), MSE / MAE for regression.
#include <ATen/Tensor.h>

#include <map>
#include <string>

namespace unirep::sdk {

class MetricAccumulator {
 public:
  explicit MetricAccumulator(bool classification) : classification_(classification) {}
  void add(const at::Tensor& output, const at::Tensor& target, double loss);
  // "loss", and "top1", "top5" (percent) or "mse", "mae".
  std::map<std::string, double> result() const;
  int64_t count() const { return count_; }

 private:
  bool classification_;
  int64_t count_ = 0;
  double loss_sum_ = 0, top1_ = 0, top5_ = 0, se_ = 0, ae_ = 0;
  int64_t elements_ = 0;
};

}  // namespace unirep::sdk
