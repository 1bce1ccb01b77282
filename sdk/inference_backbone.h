#pragma once
// The backbone the SDK's classifiers run at inference: the fast path (models/fast, oneDNN with
// fused kernels, about 3x the LibTorch network on one thread) by default, or the LibTorch network
// itself, the reference path.
//
// The environment variable UNIREP_INFERENCE_PATH=reference|fast chooses for every classifier of the
// process (a way to compare the two on one's own data without rebuilding); options choose per object.
#include "models/fast/fast_unireplknet.h"
#include "models/backbone/unireplknet.h"

#include <memory>
#include <string>
#include <vector>

namespace unirep::sdk {

enum class InferencePath { Fast, Reference };

// UNIREP_INFERENCE_PATH, or Fast when unset. Throws std::invalid_argument naming the variable when
// it holds anything else.
InferencePath inference_path_from_env();
const char* inference_path_name(InferencePath path);

// A deployed backbone in eval mode, run on the chosen path. Copies share the network. Thread-safe:
// concurrent forward() calls run in parallel on either path; they only read the network (the fast
// path's plan cache is the one thing a call fills, see models/fast_unireplknet.h).
class InferenceBackbone {
 public:
  InferenceBackbone() = default;
  // `net` must be in the deploy structure for the fast path (model files are); a train-structure
  // network runs on the reference path whatever `path` says.
  InferenceBackbone(models::UniRepLKNet net, InferencePath path);

  // As UniRepLKNetImpl::forward, under inference mode.
  at::Tensor forward(const at::Tensor& x, models::OutputMode mode) const;
  // As UniRepLKNetImpl::forward_stages; with `apply_stage_norms`, norm0..norm3 (which the fast path
  // does not carry) run on LibTorch after the fast path's stages.
  std::vector<at::Tensor> forward_stages(const at::Tensor& x, bool apply_stage_norms) const;
  const models::BackboneConfig& config() const { return net_->config(); }

  InferencePath path() const { return fast_ ? InferencePath::Fast : InferencePath::Reference; }
  explicit operator bool() const { return static_cast<bool>(net_); }

 private:
  // A shared handle (the classifiers hold the same network): LibTorch's forward is not const, so
  // the reference path calls it through net_.ptr(); in eval mode under inference mode it writes nothing.
  models::UniRepLKNet net_{nullptr};
  std::shared_ptr<const models::FastUniRepLKNet> fast_;
};

}  // namespace unirep::sdk
