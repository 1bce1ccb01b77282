#pragma once
// Image files as training examples: decoded once (kept in memory up to a budget), then per read
// either the official training augmentation (random resized crop, flip, RandAugment, then mixup or
// CutMix with another random image of the set) or the evaluation transform. Targets are K-vectors:
// one-hot, or mixed by the pair's lambda (label smoothing is the engine's --label-smoothing).
//
// Mixing happens per example with a random partner rather than per batch as in timm, so the engine
// and its loader stay modality-agnostic (the audio recipe mixes the same way); in expectation the
// two give the same pairs and lambdas.
#include "modalities/image/image_augment.h"
#include "modalities/image/image_decode.h"
#include "modalities/image/image_file_list.h"
#include "modalities/image/image_transform.h"
#include "sdk/train/dataset.h"

#include <mutex>
#include <optional>
#include <vector>

namespace unirep::sdk {

struct ImageMixOptions {
  double prob = 0.0;          // probability that an example is mixed (timm's mixup_prob; official: 1.0)
  double mixup_alpha = 0.8;   // lambda ~ Beta(alpha, alpha) for mixup; 0 = no mixup
  double cutmix_alpha = 1.0;  // ... for CutMix; 0 = no CutMix
  double switch_prob = 0.5;   // with both on: probability of CutMix instead of mixup
};

class ImageDataset : public Dataset {
 public:
  // `augment` empty: the evaluation transform. `cache_bytes`: decoded images kept in memory.
  ImageDataset(std::vector<modalities::ImageItem> items, int64_t num_classes,
               modalities::ImageTransformOptions transform,
               std::optional<modalities::ImageAugmentOptions> augment = std::nullopt, ImageMixOptions mix = {},
               uint64_t seed = 0, size_t cache_bytes = size_t{1} << 30);
  size_t size() const override { return items_.size(); }
  Example get(size_t index) const override;
  const std::vector<modalities::ImageItem>& items() const { return items_; }

 private:
  modalities::RgbImage decoded(size_t index) const;
  std::vector<modalities::ImageItem> items_;
  int64_t num_classes_;
  modalities::ImageTransformOptions transform_;
  std::optional<modalities::ImageAugmentOptions> augment_;
  ImageMixOptions mix_;
  uint64_t seed_;
  size_t cache_budget_;
  mutable std::mutex mu_;
  mutable std::vector<modalities::RgbImage> cache_;
  mutable std::vector<uint32_t> reads_;
  mutable size_t cached_bytes_ = 0;
};

}  // namespace unirep::sdk
