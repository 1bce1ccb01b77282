#pragma once
// The message an API failure reports (docs/api.md, Errors): one line of bounded length, and for an
// allocation that failed, what could not be allocated and how big.
#include <cstdint>
#include <optional>
#include <string>

namespace unirep::api_detail {

// The longest message the API reports; longer ones are cut with "...".
inline constexpr size_t kMaxMessageLength = 500;

// The first line of `message` (a LibTorch backtrace or a multi-line note dropped), at most
// kMaxMessageLength characters.
std::string one_line(const std::string& message);

// Whether `message` reports a failed allocation: LibTorch's CPU allocator ("DefaultCPUAllocator:
// can't allocate memory: you tried to allocate N bytes"), its out-of-memory errors, or a
// std::bad_alloc turned into "out of memory".
bool is_allocation_failure(const std::string& message);

// The byte count such a message names, when it names one.
std::optional<uint64_t> failed_allocation_bytes(const std::string& message);

// "out of memory: could not allocate 5.4 GiB" when the message names the size, else "out of
// memory: MESSAGE" (MESSAGE alone when it already starts so).
std::string describe_allocation_failure(const std::string& message);

}  // namespace unirep::api_detail
