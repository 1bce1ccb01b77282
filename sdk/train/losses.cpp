#include "sdk/train/losses.h"

#include <ATen/ATen.h>

#include <stdexcept>
#include <string>

namespace unirep::sdk {

LossKind parse_loss(const std::string& name) {
  if (name == "ce") return LossKind::CrossEntropy;
  if (name == "soft_ce") return LossKind::SoftTargetCrossEntropy;
  if (name == "bce") return LossKind::BCEWithLogits;
  if (name == "mse") return LossKind::MSE;
  if (name == "mae") return LossKind::MAE;
  throw std::invalid_argument("unknown loss '" + name + "' (ce, soft_ce, bce, mse, mae)");
}

at::Tensor cross_entropy(const at::Tensor& logits, const at::Tensor& classes, double eps) {
  // Checked here too, not only where the data set is made: any Dataset reaches the loss, and
  // LibTorch's own index check names neither the class nor the model's size.
  const int64_t k = logits.size(-1);
  if (classes.numel() > 0) {
    const auto lowest = classes.min().item<int64_t>(), highest = classes.max().item<int64_t>();
    if (lowest < 0 || highest >= k)
      throw std::invalid_argument("target class " + std::to_string(lowest < 0 ? lowest : highest) +
                                  " is out of range for a model with " + std::to_string(k) +
                                  " outputs (classes must lie in [0, " + std::to_string(k) + "))");
  }
  auto logp = at::log_softmax(logits, -1);
  auto nll = -logp.gather(-1, classes.to(at::kLong).unsqueeze(-1)).squeeze(-1);
  if (eps <= 0) return nll.mean();
  auto smooth = -logp.mean(-1);
  return ((1.0 - eps) * nll + eps * smooth).mean();
}

at::Tensor soft_target_cross_entropy(const at::Tensor& logits, const at::Tensor& target_probs) {
  return (-target_probs * at::log_softmax(logits, -1)).sum(-1).mean();
}

at::Tensor bce_with_logits(const at::Tensor& logits, const at::Tensor& targets) {
  return at::binary_cross_entropy_with_logits(logits, targets.to(logits.scalar_type()));
}

at::Tensor compute_loss(LossKind kind, const at::Tensor& output, const at::Tensor& target, double label_smoothing) {
  switch (kind) {
    case LossKind::CrossEntropy:
      // Probability targets (e.g. from mixup) are accepted too, as torch's cross_entropy does.
      if (target.is_floating_point() && target.dim() == output.dim()) {
        const double k = static_cast<double>(output.size(-1));
        return soft_target_cross_entropy(output, target * (1.0 - label_smoothing) + label_smoothing / k);
      }
      return cross_entropy(output, target, label_smoothing);
    case LossKind::SoftTargetCrossEntropy:
      return soft_target_cross_entropy(output, target);
    case LossKind::BCEWithLogits:
      return bce_with_logits(output, target);
    case LossKind::MSE:
      return at::mse_loss(output, target.to(output.scalar_type()));
    case LossKind::MAE:
      return at::l1_loss(output, target.to(output.scalar_type()));
  }
  throw std::logic_error("unhandled loss");
}

}  // namespace unirep::sdk
