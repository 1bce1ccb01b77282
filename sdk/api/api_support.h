#pragma once
// What every app-facing task object shares (private to libunirep): the translation of internal
// exceptions into unirep::Error codes, file and device checks, and the per-call thread count.
// (Ranking probabilities into labels is sdk::top_classes, sdk/class_scores.h.)
#include <unirep/api/error.h>
#include <unirep/api/runtime_options.h>

#include "sdk/inference_backbone.h"

#include <string>

namespace unirep::api_detail {

// Call inside a catch block: rethrows the exception in flight as unirep::Error with its code
// (io::FormatError -> kBadFile, models::StateDictError -> kModelMismatch, std::invalid_argument ->
// kInvalidArgument, std::bad_alloc -> kOutOfMemory, other runtime errors from readers -> kBadFile,
// anything else -> kInternal).
[[noreturn]] void rethrow_as_error();

// Runs f, translating whatever it throws.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (...) {
    rethrow_as_error();
  }
}

// kFileNotFound unless `path` is an existing regular file (`what` says what it was meant to be).
void require_file(const std::string& path, const char* what);
// Validates options (kInvalidArgument, or kUnsupported for a device this build lacks or bf16 on a
// CPU without it).
void check_options(const RuntimeOptions& options);
// The SDK's inference settings for checked options (the path stays UNIREP_INFERENCE_PATH's).
sdk::InferenceSettings inference_settings(const RuntimeOptions& options);
// Top-k argument check (k >= 1).
void check_top_k(int top_k);
// kInvalidArgument naming sample_rate outside [kMinSampleRate, kMaxSampleRate] (input_limits.h).
void check_sample_rate(int sample_rate);

// LibTorch's intra-op threads of the calling thread for the length of one call (0: all cores):
// set through sdk::configure_threads, and the thread's previous count restored when the call ends,
// returns or throws (docs/api.md, Threads). Both only touch LibTorch when the count differs.
class CallThreads {
 public:
  explicit CallThreads(int threads);
  ~CallThreads();
  CallThreads(const CallThreads&) = delete;
  CallThreads& operator=(const CallThreads&) = delete;

 private:
  int previous_;
};

}  // namespace unirep::api_detail
