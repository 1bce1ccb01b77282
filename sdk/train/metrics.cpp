#include "sdk/train/metrics.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace unirep::sdk {

void MetricAccumulator::add(const at::Tensor& output_in, const at::Tensor& target, double loss) {
  auto output = output_in.detach().to(at::kFloat);
  const int64_t n = output.size(0);
  loss_sum_ += loss * n;
  count_ += n;
  if (classification_) {
    auto classes = target.dim() == output.dim() ? target.argmax(-1) : target.to(at::kLong);
    const int64_t k = std::min<int64_t>(5, output.size(-1));
    auto topk = std::get<1>(output.topk(k, -1));
    auto hit = topk.eq(classes.unsqueeze(-1));
    top1_ += hit.select(-1, 0).sum().item<double>();
    top5_ += hit.any(-1).sum().item<double>();
  } else {
    auto diff = output - target.to(at::kFloat);
    se_ += diff.pow(2).sum().item<double>();
    ae_ += diff.abs().sum().item<double>();
    elements_ += diff.numel();
  }
}

std::map<std::string, double> MetricAccumulator::result() const {
  std::map<std::string, double> r;
  if (count_ == 0) return r;
  r["loss"] = loss_sum_ / count_;
  if (classification_) {
    r["top1"] = 100.0 * top1_ / count_;
    r["top5"] = 100.0 * top5_ / count_;
  } else if (elements_ > 0) {
    r["mse"] = se_ / elements_;
    r["mae"] = ae_ / elements_;
  }
  return r;
}

}  // namespace unirep::sdk
