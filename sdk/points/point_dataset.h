#pragma once
// Point-cloud files as training examples: each file is read, sampled and normalized once (then
// cached), and every example is B x N x 6 (points, placed points). Training examples follow the
// official recipe (docs/reference.md, Point clouds): the point order shuffled, the placement
// rotated by a random theta/phi rotation and scaled (U[2/3, 3/2] per axis) and shifted
// (U[-0.2, 0.2] per axis); evaluation examples use one of the 8 fixed test rotations. Beyond the
// official recipe, `PointAugmentation` can vary what another sensor or generator varies
// (docs/points.md, "Training").
#include "modalities/points/point_file_list.h"
#include "modalities/points/point_input.h"
#include "sdk/train/dataset.h"

#include <memory>
#include <mutex>
#include <vector>

namespace unirep::sdk {

struct PointAugmentation {
  // Turn the whole cloud (features and placement) by a uniformly random 3-D rotation: for data
  // without a canonical orientation, where the per-point features must not depend on it.
  bool random_orientation = false;
  // One scale factor for the three axes of the placement instead of one per axis: the official
  // anisotropic scale changes a shape's proportions, which tell some classes apart (a cube from a
  // box).
  bool isotropic_scale = false;
  // Gaussian noise on every point, sigma as a fraction of the unit-sphere radius (0 = off).
  double jitter = 0.0;
  // Probability of keeping only a random 10-100% of the points, repeated up to N as a smaller
  // cloud is at inference (modalities::tile_to_count): sparser scans than the training data.
  double thin = 0.0;
  // Probability of cutting the cloud by a random plane (a side hidden from the sensor), keeping
  // 60-95% of the points, repeated up to N (modalities::tile_to_count).
  double cut = 0.0;
};

class PointDataset : public Dataset {
 public:
  // With `augment`, the training recipe (and `extra`); otherwise test rotation `rotation` (0..7).
  PointDataset(std::vector<modalities::PointItem> items, modalities::PointInputOptions input, bool augment,
               uint64_t seed = 0, int rotation = 0, PointAugmentation extra = {});
  size_t size() const override { return items_.size(); }
  Example get(size_t index) const override;
  at::Tensor points(size_t index) const;  // N x 3, cached

 private:
  std::vector<modalities::PointItem> items_;
  modalities::PointInputOptions input_;
  bool augment_;
  PointAugmentation extra_;
  uint64_t seed_;
  int rotation_;
  mutable std::mutex mu_;
  mutable std::vector<at::Tensor> cache_;
  mutable std::vector<uint32_t> reads_;
};

}  // namespace unirep::sdk
