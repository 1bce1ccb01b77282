#pragma once
// A labelled 3-D shape dataset made here, since no benchmark can be downloaded: point clouds of
// solids and surfaces (sphere, box, cylinder, cone, torus, capsule and the five Platonic solids),
// each with random proportions where the class allows them, a random rotation, surface noise,
// partial occlusion (a random side cut away) and non-uniform density (a random density gradient).
// Written in the ModelNet40 `normal_resampled` layout: one folder per class, `shape_names.txt`,
// `shapes_train.txt` and `shapes_test.txt` (names without extension), points as binary PLY.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace unirep::data_makers {

struct ShapeDataOptions {
  std::string out_dir;
  int shapes_per_class = 60;  // each split gets its share: test_fraction of them go to test
  double test_fraction = 0.25;
  int points = 2048;  // surface points sampled per shape (before occlusion and thinning)
  uint64_t seed = 0;
  int threads = 0;  // 0: all cores
};

const std::vector<std::string>& shape_classes();

struct ShapeDataSummary {
  size_t train = 0, test = 0;
};

// Deterministic for a seed whatever the thread count. Built in a hidden staging folder beside OUT
// and put in place when complete (staging_folder.h), so a failed or stopped run leaves OUT as it was.
ShapeDataSummary generate_shape_dataset(const ShapeDataOptions& options,
                                        const std::function<void(size_t, size_t)>& progress = {});

}  // namespace unirep::data_makers
