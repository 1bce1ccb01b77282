#pragma once
// The fast training path (docs/performance.md, "Training path"): the train structure's costliest
// operations with hand-written backward passes, installed into a backbone with
// set_training_ops(module, std::make_shared<FastTrainingOps>()).
//
//   depthwise conv: forward and the input gradient on oneDNN's convolution (the input gradient of a
//                   stride-1 "same" depthwise conv is the same conv of the output gradient with the
//                   kernel flipped), the weight and bias gradients with our NHWC kernel
//                   (training_kernels.h), in place of LibTorch's convolution_backward;
//   Linear:         forward and both gradients as oneDNN matmuls (x W^T + b, dy W, dy^T x) in place
//                   of LibTorch's OpenBLAS GEMMs;
//   LayerNorm:      the channels-first LayerNorm of the stem and downsample layers as one pass per
//                   row each way (ATen's layer_norm is slow at C = 12..96);
//   GELU:           one vectorized pass each way (gelu_math.h), the stem's GELU in place of ATen's;
//   GRN:            one kernel forward (two passes: norms, then scale and shift) and one backward
//                   (two reductions, one pass), in place of about twenty LibTorch ops;
//   channel MLP:    the block's Linear -> GELU -> GRN -> Linear as one function: GELU and GRN fused
//                   (two passes over the hidden rows each way, the first bias gradient on the way;
//                   in bf16 the GEMM operands written directly as bfloat16);
//   branch batch norms: the Dilated Reparam Block's batch norms and their sum as one function (one
//                   pass forward after the statistics, one reduction and one pass per branch back).
//
// Float32 CPU tensors only; anything else goes to the LibTorch op, which gives the same result.
#include "models/backbone/training_ops.h"
#include "models/fast/precision.h"

namespace unirep::models {

class FastTrainingOps : public TrainingOps {
 public:
  // BFloat16: the Linears' GEMMs take bfloat16 operands with float32 sums and outputs (weights, their
  // gradients and everything else stay float32). Throws std::invalid_argument for BFloat16 on a CPU
  // without native bfloat16 (check_precision_supported).
  explicit FastTrainingOps(Precision precision = Precision::Float32);
  at::Tensor depthwise_conv(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                            int64_t dilation) override;
  at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) override;
  at::Tensor layer_norm_channels(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                                 double eps) override;
  at::Tensor gelu(const at::Tensor& x) override;
  at::Tensor grn(const at::Tensor& x, const at::Tensor& gamma, const at::Tensor& beta) override;
  at::Tensor channel_mlp(const at::Tensor& x, const at::Tensor& w1, const at::Tensor& b1, const at::Tensor& gamma,
                         const at::Tensor& beta, const at::Tensor& w2, const at::Tensor& b2) override;
  at::Tensor batch_norm_sum(const std::vector<at::Tensor>& branches,
                            const std::vector<BatchNorm2dImpl*>& norms) override;

 private:
  Precision precision_;
};

}  // namespace unirep::models
