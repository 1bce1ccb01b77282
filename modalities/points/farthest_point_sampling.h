#pragma once
// Farthest point sampling as the official pointnet2 op (docs/reference.md, Point clouds): start
// from point 0, then repeatedly take the point farthest (squared Euclidean distance, float) from
// everything taken so far; ties go to the lowest index. O(N M) time for M of N points, O(N) memory:
// a running minimum distance per point, kept in structure-of-arrays form so the inner loop runs at
// vector speed (AVX2 where the CPU has it) and stays in the L2 cache for clouds up to ~100k points.
#include "modalities/points/point_cloud.h"

#include <cstdint>
#include <vector>

namespace unirep::modalities {

// Indices of the sampled points, in the order taken. M >= N returns every index (0..N-1).
std::vector<uint32_t> farthest_point_sampling(const std::vector<std::array<float, 3>>& xyz, size_t m);

// The straightforward version (one distance at a time, no tricks), for tests and benchmarks.
std::vector<uint32_t> farthest_point_sampling_reference(const std::vector<std::array<float, 3>>& xyz, size_t m);

}  // namespace unirep::modalities
