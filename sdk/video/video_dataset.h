#pragma once
// Video files as training examples. Each file is decoded once and its frames kept (resized so the
// short side is the clip size, as the evaluation transform does first) up to a memory budget; then
// per read either the training sampling (a random 64-frame window, docs/video.md) with one random
// resized crop and optional flip shared by all frames of the clip, or the validation view. Inputs
// are the reshaped clips (3 x T S / 4 x 4S); targets one-hot K-vectors.
//
// Each frame is resized as soon as it is decoded, and a video whose resized frames together would
// exceed kMaxResizedVideoBytes (or one of whose frames resizes to more than kMaxResizePixels, a tall
// thin video) is refused naming the file (docs/video.md, Limits).
//
// The official training adds RandAugment, random erasing, repeated augmentation and mixup/CutMix;
// they are left out here (documented in docs/video.md) because a CPU-sized clip is small and the
// crop + window already vary it.
#include "modalities/image/image_augment.h"
#include "modalities/image/image_file_list.h"
#include "modalities/video/video_transform.h"
#include "sdk/train/dataset.h"

#include <mutex>
#include <optional>
#include <vector>

namespace unirep::sdk {

// The most bytes the resized frames of one training video may take (all its frames are kept for
// re-sampling): 2 GiB, about 9,000 frames of 298 x 224, five minutes at 30 frames a second.
inline constexpr size_t kMaxResizedVideoBytes = size_t{2} << 30;

struct VideoAugmentOptions {
  double scale_min = 0.08;  // random resized crop area fraction (official: 0.08)
  double hflip = 0.5;       // official: 0.5; set 0 when the classes depend on left/right motion
};

class VideoDataset : public Dataset {
 public:
  VideoDataset(std::vector<modalities::ImageItem> items, int64_t num_classes,
               modalities::VideoTransformOptions transform, std::optional<VideoAugmentOptions> augment = std::nullopt,
               uint64_t seed = 0, size_t cache_bytes = size_t{2} << 30);
  size_t size() const override { return items_.size(); }
  Example get(size_t index) const override;

 private:
  std::shared_ptr<const std::vector<modalities::RgbImage>> frames(size_t index) const;
  std::vector<modalities::ImageItem> items_;
  int64_t num_classes_;
  modalities::VideoTransformOptions transform_;
  std::optional<VideoAugmentOptions> augment_;
  uint64_t seed_;
  size_t cache_budget_;
  mutable std::mutex mu_;
  mutable std::vector<std::shared_ptr<const std::vector<modalities::RgbImage>>> cache_;
  mutable std::vector<uint32_t> reads_;
  mutable size_t cached_bytes_ = 0;
};

}  // namespace unirep::sdk
