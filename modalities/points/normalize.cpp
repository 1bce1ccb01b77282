#include "modalities/points/normalize.h"

#include <cmath>
#include <stdexcept>

namespace unirep::modalities {

void normalize_points(PointCloud& cloud, const NormalizeOptions& o) {
  if (cloud.xyz.empty()) throw std::invalid_argument("the point cloud is empty");
  double c[3] = {0, 0, 0};
  for (const auto& p : cloud.xyz)
    for (int a = 0; a < 3; ++a) c[a] += p[a];
  for (auto& v : c) v /= static_cast<double>(cloud.xyz.size());
  double r2 = 0;
  for (const auto& p : cloud.xyz) {
    double d = 0;
    for (int a = 0; a < 3; ++a) d += (p[a] - c[a]) * (p[a] - c[a]);
    r2 = std::max(r2, d);
  }
  const double scale = r2 > 0 ? 1.0 / std::sqrt(r2) : 1.0;  // a single point stays at the origin
  for (auto& p : cloud.xyz)
    for (int a = 0; a < 3; ++a) p[a] = static_cast<float>((p[a] - c[a]) * scale);
  if (o.modelnet_axes) {
    auto swap = [](std::array<float, 3>& p) { p = {-p[2], -p[0], p[1]}; };
    for (auto& p : cloud.xyz) swap(p);
    for (auto& n : cloud.normals) swap(n);
  }
}

}  // namespace unirep::modalities
