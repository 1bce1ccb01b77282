#include "modalities/points/point_input.h"

#include "modalities/points/farthest_point_sampling.h"
#include "modalities/points/normalize.h"
#include "modalities/points/point_file.h"

#include <ATen/ATen.h>

#include <stdexcept>

namespace unirep::modalities {

at::Tensor cloud_to_input(PointCloud cloud, const PointInputOptions& o) {
  if (o.points < 1) throw std::invalid_argument("the number of points must be positive");
  if (cloud.is_mesh())
    cloud = sample_mesh_surface(cloud, static_cast<size_t>(std::max(o.surface_points, o.points)), o.seed);
  normalize_points(cloud, {o.modelnet_axes});
  const auto idx = farthest_point_sampling(cloud.xyz, static_cast<size_t>(o.points));
  auto out = at::empty({static_cast<int64_t>(idx.size()), 3}, at::kFloat);
  auto a = out.accessor<float, 2>();
  for (size_t i = 0; i < idx.size(); ++i)
    for (int k = 0; k < 3; ++k) a[static_cast<int64_t>(i)][k] = cloud.xyz[idx[i]][k];
  return out;
}

at::Tensor load_point_input(const std::string& path, const PointInputOptions& o) {
  auto cloud = read_point_file(path);
  try {
    return cloud_to_input(std::move(cloud), o);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

at::Tensor tile_to_count(const at::Tensor& points, int64_t count) {
  const int64_t n = points.size(0);
  if (n >= count || n == 0) return points;
  return points.repeat({(count + n - 1) / n, 1}).narrow(0, 0, count);
}

}  // namespace unirep::modalities
