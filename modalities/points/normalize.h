#pragma once
// The official per-shape normalization (docs/reference.md, Point clouds): centre on the centroid,
// divide by the largest distance from it (the shape then fills the unit sphere), and optionally
// ModelNet's axis convention (x, y, z) <- (-z, -x, y).
#include "modalities/points/point_cloud.h"

namespace unirep::modalities {

struct NormalizeOptions {
  bool modelnet_axes = false;
};

// In place on xyz (normals are rotated with the axes, not scaled). Throws on an empty cloud.
void normalize_points(PointCloud& cloud, const NormalizeOptions& options = {});

}  // namespace unirep::modalities
