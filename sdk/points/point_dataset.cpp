#include "sdk/points/point_dataset.h"

#include "sdk/points/point_model.h"

#include <ATen/ATen.h>

#include <random>

namespace unirep::sdk {
PointDataset::PointDataset(std::vector<modalities::PointItem> items, modalities::PointInputOptions input, bool augment,
                           uint64_t seed, int rotation)
    : items_(std::move(items)),
      input_(input),
      augment_(augment),
      seed_(seed),
      rotation_(rotation),
      cache_(items_.size()),
      reads_(items_.size(), 0) {}

at::Tensor PointDataset::points(size_t index) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cache_.at(index).defined()) return cache_[index];
  }
  auto p = modalities::load_point_input(items_[index].path, input_);
  // Too few points: repeat them (the official data always has enough points; docs/reference.md,
  // Point clouds).
  if (p.size(0) < input_.points)
    p = p.repeat({(input_.points + p.size(0) - 1) / p.size(0), 1}).narrow(0, 0, input_.points);
  std::lock_guard<std::mutex> lock(mu_);
  cache_[index] = p;
  return p;
}

Example PointDataset::get(size_t index) const {
  auto p = points(index);
  const auto label = at::scalar_tensor(items_[index].label, at::kLong);
  if (!augment_) return {with_test_rotation(p, rotation_), label};
  uint32_t read;
  {
    std::lock_guard<std::mutex> lock(mu_);
    read = reads_[index]++;
  }
  // Randomness from (seed, item, how often it was read): reproducible whatever the loader threads.
  std::mt19937_64 rng(seed_ * 0x9E3779B97F4A7C15ULL + index * 7919 + read * 104729 + 3);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  std::vector<int64_t> perm(static_cast<size_t>(p.size(0)));
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(i);
  std::shuffle(perm.begin(), perm.end(), rng);
  p = p.index_select(0, at::tensor(perm, at::kLong));
  const double theta = (0.04 + 1.9 * U(rng)) * M_PI, phi = (-0.4 + 0.2 * U(rng)) * M_PI;
  const auto r = modalities::theta_phi_rotation(theta, phi);
  auto R = at::tensor(at::ArrayRef<float>(r.data(), r.size())).view({3, 3});
  float scale[3], shift[3];
  for (int a = 0; a < 3; ++a)
    scale[a] = static_cast<float>(2.0 / 3 + (1.5 - 2.0 / 3) * U(rng)),
    shift[a] = static_cast<float>(-0.2 + 0.4 * U(rng));
  auto placed =
      p.matmul(R.t()) * at::tensor({scale[0], scale[1], scale[2]}) + at::tensor({shift[0], shift[1], shift[2]});
  return {at::cat({p, placed}, 1), label};
}

}  // namespace unirep::sdk
