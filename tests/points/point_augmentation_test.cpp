// The training augmentation beyond the official recipe (sdk/points/point_dataset.h): a random
// orientation turns the cloud rigidly, a cut keeps one side of a plane at the same point count,
// jitter moves points by about its sigma, and every draw repeats for the same seed.
#include "sdk/points/point_dataset.h"

#include "modalities/points/point_input.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <random>

#include "support/test_support.h"

namespace {

using unirep::sdk::PointAugmentation;
using unirep::sdk::PointDataset;

constexpr int64_t kPoints = 200;

// A lopsided random cloud as an x y z text file (one shape of one class).
std::vector<unirep::modalities::PointItem> one_cloud(const unirep::testing::TempDir& dir) {
  const std::string path = dir.file("cloud.xyz");
  std::ofstream out(path);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> U(-1.0f, 1.0f);
  for (int i = 0; i < 400; ++i) out << 2.0f * U(rng) << ' ' << U(rng) << ' ' << 0.5f * U(rng) << '\n';
  return {{path, 0}};
}

PointDataset dataset(const std::vector<unirep::modalities::PointItem>& items, PointAugmentation extra,
                     uint64_t seed = 3) {
  unirep::modalities::PointInputOptions input;
  input.points = kPoints;
  return PointDataset(items, input, /*augment=*/true, seed, 0, extra);
}

// For each row of `a`, the distance to the nearest row of `b`.
at::Tensor nearest_distances(const at::Tensor& a, const at::Tensor& b) {
  return std::get<0>(at::cdist(a, b, 2.0, /*compute_mode: exact*/ 2).min(1));
}

PointAugmentation random_orientation() {
  PointAugmentation a;
  a.random_orientation = true;
  return a;
}

PointAugmentation cut_always() {
  PointAugmentation a;
  a.cut = 1.0;
  return a;
}

PointAugmentation jittered(double sigma) {
  PointAugmentation a;
  a.jitter = sigma;
  return a;
}

at::Tensor features_copy(const PointDataset& ds) {
  return ds.get(0).input.narrow(1, 0, 3);
}

}  // namespace

TEST(PointAugmentation, RandomOrientationTurnsTheWholeCloudRigidly) {
  unirep::testing::TempDir dir;
  const auto items = one_cloud(dir);
  const auto ds = dataset(items, random_orientation());
  const auto original = ds.points(0), turned = features_copy(ds);
  ASSERT_EQ(turned.sizes(), original.sizes());
  // A rotation about the origin keeps every point's distance to it...
  const auto radii = std::get<0>(original.norm(2, 1).sort()), turned_radii = std::get<0>(turned.norm(2, 1).sort());
  EXPECT_TRUE(at::allclose(radii, turned_radii, 1e-5, 1e-5));
  // ...but the cloud does not sit where it was (its long axis was x).
  EXPECT_GT(nearest_distances(turned, original).max().item<double>(), 0.05);
  // Draws repeat for the same seed, and differ from read to read.
  const auto again = dataset(items, random_orientation());
  EXPECT_TRUE(at::equal(features_copy(again), turned));
  EXPECT_FALSE(at::equal(features_copy(again), turned));  // the second read of `again`
}

TEST(PointAugmentation, CutKeepsOneSideOfAPlaneAtTheSamePointCount) {
  unirep::testing::TempDir dir;
  const auto items = one_cloud(dir);
  const auto ds = dataset(items, cut_always());
  for (int read = 0; read < 5; ++read) {
    const auto original = ds.points(0), cut = features_copy(ds);
    ASSERT_EQ(cut.size(0), kPoints);
    // Every point is one of the cloud's own, and 60-95% of them survive (the rest repeat).
    EXPECT_LT(nearest_distances(cut, original).max().item<double>(), 1e-6);
    const auto covered = nearest_distances(original, cut).lt(1e-6).sum().item<int64_t>();
    EXPECT_GE(covered, kPoints * 6 / 10 - 1);
    EXPECT_LE(covered, kPoints * 95 / 100 + 1);
  }
}

TEST(PointAugmentation, JitterMovesPointsByAboutSigma) {
  unirep::testing::TempDir dir;
  const auto items = one_cloud(dir);
  const auto ds = dataset(items, jittered(0.01));
  const auto moved = nearest_distances(features_copy(ds), ds.points(0));
  // A 3-D Gaussian step of sigma 0.01 has mean length 0.016; the nearest original point can only be closer.
  const double mean = moved.mean().item<double>();
  EXPECT_GT(mean, 0.004);
  EXPECT_LT(mean, 0.02);
}

TEST(PointAugmentation, IsotropicScaleKeepsTheProportionsOfThePlacement) {
  unirep::testing::TempDir dir;
  const auto items = one_cloud(dir);
  // Rows of one example are the same point in both copies: compare each point's distance to point 0.
  auto distance_ratios = [](const at::Tensor& example) {
    const auto a = example.narrow(1, 0, 3), b = example.narrow(1, 3, 3);
    return (b - b[0]).norm(2, 1).narrow(0, 1, kPoints - 1) / (a - a[0]).norm(2, 1).narrow(0, 1, kPoints - 1);
  };
  PointAugmentation iso;
  iso.isotropic_scale = true;
  const auto ratios = distance_ratios(dataset(items, iso).get(0).input);
  EXPECT_LT((ratios.max() / ratios.min()).item<double>(), 1.0 + 1e-4);
  const auto official = distance_ratios(dataset(items, {}).get(0).input);  // one factor per axis
  EXPECT_GT((official.max() / official.min()).item<double>(), 1.05);
}

TEST(PointAugmentation, ThinKeepsARandomSubsetRepeatedAsASmallCloudIsAtInference) {
  unirep::testing::TempDir dir;
  const auto items = one_cloud(dir);
  PointAugmentation thin;
  thin.thin = 1.0;
  const auto ds = dataset(items, thin);
  std::set<int64_t> kept_counts;
  for (int read = 0; read < 6; ++read) {
    const auto original = ds.points(0), thinned = features_copy(ds);
    ASSERT_EQ(thinned.size(0), kPoints);
    EXPECT_LT(nearest_distances(thinned, original).max().item<double>(), 1e-6);
    const auto kept = nearest_distances(original, thinned).lt(1e-6).sum().item<int64_t>();
    EXPECT_GE(kept, std::max<int64_t>(8, kPoints / 10) - 1);
    // The kept points repeat cyclically: row i is row i mod kept.
    EXPECT_TRUE(at::equal(thinned.narrow(0, kept, kPoints - kept), thinned.narrow(0, 0, kPoints - kept)));
    kept_counts.insert(kept);
  }
  EXPECT_GT(kept_counts.size(), 1u);  // the fraction is drawn per read
}

TEST(TileToCount, RepeatsASmallCloudCyclicallyAndLeavesALargeOneAlone) {
  const auto small = at::arange(12, at::kFloat).view({4, 3});
  const auto tiled = unirep::modalities::tile_to_count(small, 10);
  ASSERT_EQ(tiled.size(0), 10);
  for (int64_t i = 0; i < 10; ++i) EXPECT_TRUE(at::equal(tiled[i], small[i % 4])) << i;
  EXPECT_TRUE(at::equal(unirep::modalities::tile_to_count(small, 3), small));
}
