#pragma once
// Thread settings. LibTorch starts with one intra-op thread on this platform, so the SDK sets the
// count explicitly: every entry point calls configure_threads() before running a model.
namespace unirep::sdk {

// The most threads a caller may ask for: max(64, 4 x the cores). Far more threads than cores only
// slow LibTorch down, and tens of thousands hang it (docs/reliability.md, "Options").
int max_threads();

// n <= 0 means all cores, shared evenly among LOCAL_WORLD_SIZE local workers when that is set.
// Applies to the calling thread (LibTorch's count is per thread) and to threads LibTorch has not
// seen yet. Returns the count in effect. Throws std::invalid_argument for n > max_threads().
int configure_threads(int n = 0);

}  // namespace unirep::sdk
