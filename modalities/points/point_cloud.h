#pragma once
// A point cloud as plain arrays: N points (x, y, z), optional per-point normals, and for meshes
// the triangles that the points came from. Readers fill it; sampling and normalization act on it.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace unirep::modalities {

struct PointCloud {
  std::vector<std::array<float, 3>> xyz;
  std::vector<std::array<float, 3>> normals;       // empty, or one per point
  std::vector<std::array<uint32_t, 3>> triangles;  // meshes only: indices into xyz
  size_t dropped_non_finite = 0;                   // NaN/Inf points the reader left out

  size_t size() const { return xyz.size(); }
  bool is_mesh() const { return !triangles.empty(); }
};

}  // namespace unirep::modalities
