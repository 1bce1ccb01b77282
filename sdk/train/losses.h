#pragma once
// Training losses. Targets: class indices (int64, N) for cross entropy; probability vectors
// (N x K) for soft-target cross entropy and BCE; any matching shape for MSE / MAE.
#include <ATen/Tensor.h>

#include <string>

namespace unirep::sdk {

enum class LossKind { CrossEntropy, SoftTargetCrossEntropy, BCEWithLogits, MSE, MAE };
LossKind parse_loss(const std::string& name);  // "ce" | "soft_ce" | "bce" | "mse" | "mae"

// Cross entropy with label smoothing eps: target distribution (1 - eps) on the class plus eps / K
// everywhere (timm's LabelSmoothingCrossEntropy).
at::Tensor cross_entropy(const at::Tensor& logits, const at::Tensor& classes, double label_smoothing = 0.0);
at::Tensor soft_target_cross_entropy(const at::Tensor& logits, const at::Tensor& target_probs);
at::Tensor bce_with_logits(const at::Tensor& logits, const at::Tensor& targets);

at::Tensor compute_loss(LossKind kind, const at::Tensor& output, const at::Tensor& target,
                        double label_smoothing = 0.0);

}  // namespace unirep::sdk
