#include "sdk/points/point_dataset.h"

#include "sdk/points/point_model.h"

#include <ATen/ATen.h>

#include <random>

namespace unirep::sdk {
namespace {

// A uniformly random rotation as a 3 x 3 float tensor.
at::Tensor uniform_rotation(std::mt19937_64& rng) {
  const auto r = modalities::uniform_rotation(rng);
  return at::tensor(at::ArrayRef<double>(r.data(), r.size())).to(at::kFloat).view({3, 3});
}

// Keeps the points on one side of a random plane (60-95% of them), repeated up to N as a smaller
// cloud is at inference, so the model sees a partially hidden shape at the usual point count.
at::Tensor cut_by_plane(const at::Tensor& p, std::mt19937_64& rng) {
  std::normal_distribution<double> N(0.0, 1.0);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  const double nx = N(rng), ny = N(rng), nz = N(rng);
  auto depth = p.matmul(at::tensor({static_cast<float>(nx), static_cast<float>(ny), static_cast<float>(nz)}));
  const int64_t n = p.size(0), keep = std::max<int64_t>(1, static_cast<int64_t>(n * (0.6 + 0.35 * U(rng))));
  auto kept = std::get<1>(depth.topk(keep, 0, /*largest=*/false));
  return modalities::tile_to_count(p.index_select(0, kept), n);
}

// N x 3 normal noise from the example's own generator (reproducible whatever the loader threads).
at::Tensor gaussian_noise(int64_t n, double sigma, std::mt19937_64& rng) {
  std::normal_distribution<float> N(0.0f, static_cast<float>(sigma));
  std::vector<float> noise(static_cast<size_t>(3 * n));
  for (auto& v : noise) v = N(rng);
  return at::tensor(noise).view({n, 3});
}

// The augmentation beyond the official recipe, on a shuffled cloud.
at::Tensor varied(at::Tensor p, const PointAugmentation& extra, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> U(0.0, 1.0);
  if (extra.random_orientation) p = p.matmul(uniform_rotation(rng).t());
  if (extra.cut > 0 && U(rng) < extra.cut) p = cut_by_plane(p, rng);
  if (extra.thin > 0 && U(rng) < extra.thin) {
    // The shuffled order makes the first rows a random subset.
    const auto kept = std::max<int64_t>(8, static_cast<int64_t>(p.size(0) * (0.1 + 0.9 * U(rng))));
    p = modalities::tile_to_count(p.narrow(0, 0, std::min(kept, p.size(0))), p.size(0));
  }
  if (extra.jitter > 0) p = p + gaussian_noise(p.size(0), extra.jitter, rng);
  return p;
}

}  // namespace

PointDataset::PointDataset(std::vector<modalities::PointItem> items, modalities::PointInputOptions input, bool augment,
                           uint64_t seed, int rotation, PointAugmentation extra)
    : items_(std::move(items)),
      input_(input),
      augment_(augment),
      extra_(extra),
      seed_(seed),
      rotation_(rotation),
      cache_(items_.size()),
      reads_(items_.size(), 0) {}

at::Tensor PointDataset::points(size_t index) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cache_.at(index).defined()) return cache_[index];
  }
  // Too few points: repeated (the official data always has enough points; docs/reference.md,
  // Point clouds).
  auto p = modalities::tile_to_count(modalities::load_point_input(items_[index].path, input_), input_.points);
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
  p = varied(p, extra_, rng);
  const double theta = (0.04 + 1.9 * U(rng)) * M_PI, phi = (-0.4 + 0.2 * U(rng)) * M_PI;
  const auto r = modalities::theta_phi_rotation(theta, phi);
  auto R = at::tensor(at::ArrayRef<float>(r.data(), r.size())).view({3, 3});
  float scale[3], shift[3];
  for (int a = 0; a < 3; ++a)
    scale[a] = static_cast<float>(2.0 / 3 + (1.5 - 2.0 / 3) * U(rng)),
    shift[a] = static_cast<float>(-0.2 + 0.4 * U(rng));
  if (extra_.isotropic_scale) scale[1] = scale[2] = scale[0];
  auto placed =
      p.matmul(R.t()) * at::tensor({scale[0], scale[1], scale[2]}) + at::tensor({shift[0], shift[1], shift[2]});
  return {at::cat({p, placed}, 1), label};
}

}  // namespace unirep::sdk
