#pragma once
// The UniRepLKNet backbone for features: a variant name (or JSON config) and its weights, to the
// four stage maps (strides 4, 8, 16, 32) that a detection or segmentation head consumes, or the
// pooled feature vector an app can index or cluster.
//
// Thread safety: the feature calls may run concurrently; copies share the loaded model.
#include <unirep/api/export.h>
#include <unirep/api/results.h>
#include <unirep/api/runtime_options.h>

#include <memory>
#include <string>
#include <vector>

namespace unirep {

class UNIREP_API Backbone {
 public:
  // model: "a", "f", ..., "xl" or a JSON config; weights: .pth / .safetensors (train or deploy
  // structure; fused after loading), or empty for random initialization.
  Backbone(const std::string& model, const std::string& weights, const RuntimeOptions& options = {});
  ~Backbone();
  Backbone(const Backbone&);
  Backbone& operator=(const Backbone&);
  Backbone(Backbone&&) noexcept;
  Backbone& operator=(Backbone&&) noexcept;

  int in_channels() const;
  std::vector<int> stage_channels() const;  // the four widths

  // One image file through the evaluation transform (resize, center crop to `size`, normalize).
  std::vector<FloatArray> stage_features_file(const std::string& path, int size = 224) const;
  // N x C x H x W float input (normalized like the weights expect), four N x C_i x H_i x W_i maps.
  std::vector<FloatArray> stage_features(const float* input, const std::vector<int64_t>& shape) const;
  // N x C_last: what a classification head reads: the last stage averaged over space, then the
  // head's LayerNorm when the weights have one.
  FloatArray pooled_features(const float* input, const std::vector<int64_t>& shape) const;

 private:
  struct Impl;
  friend struct BackboneAccess;  // the opt-in tensor interface (unirep/api/tensors.h)
  std::shared_ptr<const Impl> impl_;
};

}  // namespace unirep
