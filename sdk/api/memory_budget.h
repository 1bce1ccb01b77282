#pragma once
// How much memory a call could get at most: the machine's RAM and swap, or less under an
// address-space limit (RLIMIT_AS). An input whose activations alone exceed it cannot succeed, so
// the API refuses it with kOutOfMemory before allocating (docs/api.md, Input limits).
#include <cstdint>
#include <string>

namespace unirep::api_detail {

uint64_t memory_budget_bytes();

// Throws Error(kOutOfMemory, "WHAT needs at least X for ..., more than the Y this process can
// get") when `bytes` exceeds memory_budget_bytes().
void check_memory_budget(double bytes, const std::string& what);

}  // namespace unirep::api_detail
