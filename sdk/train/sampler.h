#pragma once
// Which examples form each batch of an epoch, on each rank. Deterministic in (seed, epoch): the
// same seed gives the same order on every run and every machine, which resume and data-parallel
// equivalence rely on.
//
// Like PyTorch's DistributedSampler: the epoch's permutation is padded (by repeating its start) to
// a multiple of world_size, or cut when drop_last, and rank r takes positions r, r + W, r + 2W, ...
// With W ranks at batch B, step k covers exactly the examples one process at batch W*B would see.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace unirep::sdk {

struct SamplerOptions {
  bool shuffle = true;
  uint64_t seed = 0;
  bool drop_last = false;  // drop the last incomplete batch (and the tail that does not split evenly)
  int rank = 0;
  int world_size = 1;
};

// The batches (lists of dataset indices) this rank sees in `epoch`.
std::vector<std::vector<size_t>> epoch_batches(size_t dataset_size, size_t batch_size, int64_t epoch,
                                               const SamplerOptions& options);

}  // namespace unirep::sdk
