#pragma once
// Thread settings. LibTorch starts with one intra-op thread on this platform, so the SDK sets the
// count explicitly: every entry point calls configure_threads() before running a model.
namespace unirep::sdk {

// n <= 0 means all cores, shared evenly among LOCAL_WORLD_SIZE local workers when that is set.
// Applies to the calling thread (LibTorch's count is per thread) and to threads LibTorch has not
// seen yet. Returns the count in effect.
int configure_threads(int n = 0);

}  // namespace unirep::sdk
