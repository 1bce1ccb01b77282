#pragma once
// The backbone the SDK's classifiers run at inference: the fast path (models/fast, oneDNN with
// fused kernels, about 3x the LibTorch network on one thread) by default, or the LibTorch network
// itself, the reference path.
//
// The environment variable UNIREP_INFERENCE_PATH=reference|fast chooses for every classifier of the
// process (a way to compare the two on one's own data without rebuilding); options choose per object.
// The fast path also runs in bfloat16 on CPUs that multiply it natively (docs/performance.md, "bf16").
#include "models/fast/fast_unireplknet.h"
#include "models/fast/precision.h"
#include "models/backbone/unireplknet.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace unirep::sdk {

enum class InferencePath { Fast, Reference };

// UNIREP_INFERENCE_PATH, or Fast when unset. Throws std::invalid_argument naming the variable when
// it holds anything else.
InferencePath inference_path_from_env();
const char* inference_path_name(InferencePath path);

// How a loaded model runs inference: every task object takes one.
struct InferenceSettings {
  InferenceSettings() = default;
  InferenceSettings(InferencePath p) : path(p) {}  // NOLINT(google-explicit-constructor): a path alone
  InferenceSettings(InferencePath p, models::Precision prec) : path(p), precision(prec) {}
  // Unset: UNIREP_INFERENCE_PATH, else the fast path.
  std::optional<InferencePath> path;
  // BFloat16: the fast path's bfloat16 GEMMs; refused on the reference path and on a CPU without
  // AVX512-BF16 or AMX.
  models::Precision precision = models::Precision::Float32;
};

// A deployed backbone in eval mode, run on the chosen path. Copies share the network. Thread-safe:
// concurrent forward() calls run in parallel on either path; they only read the network (the fast
// path's plan cache is the one thing a call fills, see models/fast_unireplknet.h).
class InferenceBackbone {
 public:
  InferenceBackbone() = default;
  // `net` must be in the deploy structure for the fast path (model files are); a train-structure
  // network runs on the reference path whatever the settings' path says (and refuses bf16).
  // Throws std::invalid_argument for bf16 where it cannot run.
  InferenceBackbone(models::UniRepLKNet net, const InferenceSettings& settings);

  // As UniRepLKNetImpl::forward, under inference mode.
  at::Tensor forward(const at::Tensor& x, models::OutputMode mode) const;
  // As UniRepLKNetImpl::forward_stages; with `apply_stage_norms`, norm0..norm3 (which the fast path
  // does not carry) run on LibTorch after the fast path's stages.
  std::vector<at::Tensor> forward_stages(const at::Tensor& x, bool apply_stage_norms) const;
  const models::BackboneConfig& config() const { return net_->config(); }

  InferencePath path() const { return fast_ ? InferencePath::Fast : InferencePath::Reference; }
  models::Precision precision() const { return fast_ ? fast_->precision() : models::Precision::Float32; }
  explicit operator bool() const { return static_cast<bool>(net_); }

 private:
  // A shared handle (the classifiers hold the same network): LibTorch's forward is not const, so
  // the reference path calls it through net_.ptr(); in eval mode under inference mode it writes nothing.
  models::UniRepLKNet net_{nullptr};
  std::shared_ptr<const models::FastUniRepLKNet> fast_;
};

}  // namespace unirep::sdk
