#pragma once
// A file's points as the model sees them (docs/points.md): a mesh is first sampled on its surface,
// then the cloud is centred and scaled into the unit sphere (optionally in ModelNet's axes), and
// farthest point sampling from point 0 keeps `points` of them.
#include "modalities/points/point_cloud.h"

#include <ATen/Tensor.h>

#include <cstdint>
#include <string>

namespace unirep::modalities {

struct PointInputOptions {
  int64_t points = 4096;          // N after farthest point sampling
  int64_t surface_points = 8192;  // meshes: points sampled on the surface first (ModelNet's 8192)
  bool modelnet_axes = false;     // (x, y, z) <- (-z, -x, y)
  uint64_t seed = 0;              // surface sampling
};

// N x 3 float tensor (fewer rows when the cloud has fewer points).
at::Tensor cloud_to_input(PointCloud cloud, const PointInputOptions& options);
// read_point_file + cloud_to_input.
at::Tensor load_point_input(const std::string& path, const PointInputOptions& options);

// A cloud of fewer than `count` points repeated cyclically up to `count` rows (a cloud with enough
// points is returned as it is): training batches need one point count, and inference presents a
// small cloud the same way, so the model sees in use what it saw in training (docs/points.md).
at::Tensor tile_to_count(const at::Tensor& points, int64_t count);

}  // namespace unirep::modalities
