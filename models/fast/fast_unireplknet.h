#pragma once
// The fast CPU inference path of a deploy-structure UniRepLKNet (docs/performance.md).
//
// Same network, same float32 outputs (held to the fixture tolerance), run as a fixed plan of oneDNN
// primitives and fused kernels over channels-last (NHWC) buffers instead of LibTorch ops:
//
//   block:  depthwise conv + bias (oneDNN, NHWC; our own kernel where oneDNN has no direct one)
//           -> SE: pool, two tiny matvecs, sigmoid, scale          (one fused kernel, in place)
//           -> Linear C->4C + bias + GELU                           (oneDNN matmul with post-ops)
//           -> GRN: per-channel L2 norms, then scale                (one fused kernel, in place)
//           -> Linear 4C->C + bias + residual add                   (oneDNN matmul, sum post-op
//                                                                    into the residual buffer)
//   stem / downsample: conv 3x3 s2 + bias (oneDNN) -> channels-first LayerNorm (one pass per pixel;
//           the stem's GELU after the first one is a oneDNN eltwise primitive)
//   head:   mean over H, W -> LayerNorm -> Linear
//
// Weights are copied at construction and reordered into oneDNN's layouts by the first plan (then
// held once); the plan for an input shape (primitives and every activation buffer) is built on the
// first call with that shape and reused, so a steady-state forward allocates no buffer but its
// output tensor (oneDNN 2.6 still builds a small argument map per primitive execution). The plain LibTorch network
// stays the reference path (`unirep bench --path reference`); see docs/performance.md for what each fusion buys.
//
// Thread safety: forward() may be called from many threads on one object. Each call leases a plan
// for its input shape (building another when all are busy), so calls run in parallel and the
// object holds one plan per shape per concurrent caller; weights are shared. The plans (and the
// packed weights the first one makes) are a cache: filling it changes no output, so forward() is
// const. Threads inside one
// call follow the calling thread's LibTorch setting (at::set_num_threads / sdk::configure_threads).
#include "models/backbone/unireplknet.h"
#include "models/fast/precision.h"

#include <ATen/core/Tensor.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace unirep::models {

class FastUniRepLKNet {
 public:
  // `model` must be in the deploy structure (call reparameterize() first); its weights are copied,
  // so it may be discarded afterwards. Throws std::invalid_argument otherwise, and for BFloat16 on a
  // CPU without native bfloat16. BFloat16 runs the blocks' Linears on bfloat16 operands and keeps
  // the activations between them (SE output, GELU, GRN) in bfloat16; convolutions, norms, the
  // residual stream, the head and every output stay float32 (docs/performance.md, "bf16").
  explicit FastUniRepLKNet(UniRepLKNetImpl& model, Precision precision = Precision::Float32);
  ~FastUniRepLKNet();
  FastUniRepLKNet(FastUniRepLKNet&&) noexcept;
  FastUniRepLKNet& operator=(FastUniRepLKNet&&) noexcept;

  // As UniRepLKNetImpl::forward: x is N x in_chans x H x W float32 (any strides).
  at::Tensor forward(const at::Tensor& x, OutputMode mode = OutputMode::Logits) const;

  // As UniRepLKNetImpl::forward_stages (without stage norms): the four stage outputs, N x C x h x w
  // tensors in channels-last memory.
  std::vector<at::Tensor> forward_stages(const at::Tensor& x) const;

  const BackboneConfig& config() const;
  Precision precision() const;

  // Images per pass through the network (default 1; 0: the whole batch at once). A batch runs as
  // consecutive passes over the plan for this many images, which keeps each pass's activations in
  // cache: on the machine of docs/performance.md one image at a time beat whole batches of 16.
  void set_micro_batch(int64_t images);

  // Per-step timing: while on, every step's wall time is added to a total per kind of work
  // ("depthwise conv", "GRN", ...); turning it on clears the totals. Costs a clock read per step.
  void set_profiling(bool on);
  std::map<std::string, double> profile_ms() const;

  // Bytes held: the packed weights (each once) and the activation buffers and scratch of every
  // plan built so far (one per input shape seen).
  struct MemoryUse {
    int64_t weight_bytes = 0;
    int64_t workspace_bytes = 0;
  };
  MemoryUse memory_use() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unirep::models
