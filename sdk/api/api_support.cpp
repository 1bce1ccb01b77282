#include "api_support.h"
#include "input_limits.h"

#include "failure_message.h"

#include "models/io/format_error.h"
#include "models/backbone/state_dict.h"
#include "sdk/threads.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>
#include <torch/cuda.h>

#include <filesystem>
#include <new>

namespace unirep {

Error::Error(StatusCode code, const std::string& message) : std::runtime_error(message), code_(code) {}

const char* status_name(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid argument";
    case StatusCode::kFileNotFound:
      return "file not found";
    case StatusCode::kBadFile:
      return "bad file";
    case StatusCode::kModelMismatch:
      return "model mismatch";
    case StatusCode::kUnsupported:
      return "unsupported";
    case StatusCode::kOutOfMemory:
      return "out of memory";
    case StatusCode::kInternal:
      return "internal error";
  }
  return "unknown status";
}

namespace api_detail {

void rethrow_as_error() {
  try {
    throw;
  } catch (const Error&) {
    throw;
  } catch (const io::FormatError& e) {
    throw Error(StatusCode::kBadFile, e.what());
  } catch (const models::StateDictError& e) {
    throw Error(StatusCode::kModelMismatch, e.what());
  } catch (const std::invalid_argument& e) {
    throw Error(StatusCode::kInvalidArgument, e.what());
  } catch (const std::bad_alloc&) {
    throw Error(StatusCode::kOutOfMemory, "out of memory");
  } catch (const c10::Error& e) {
    // A failed allocation is the caller's input being too big for this machine; LibTorch's other
    // checks, with valid inputs, are our bugs.
    const std::string m = e.what_without_backtrace();
    if (api_detail::is_allocation_failure(m))
      throw Error(StatusCode::kOutOfMemory, api_detail::describe_allocation_failure(m));
    throw Error(StatusCode::kInternal, api_detail::one_line(m));
  } catch (const std::runtime_error& e) {
    // The decoders and readers report unreadable or corrupt input as runtime errors naming the file.
    throw Error(StatusCode::kBadFile, e.what());
  } catch (const std::exception& e) {
    throw Error(StatusCode::kInternal, e.what());
  } catch (...) {
    throw Error(StatusCode::kInternal, "unknown exception");
  }
}

void require_file(const std::string& path, const char* what) {
  if (path.empty()) throw Error(StatusCode::kInvalidArgument, std::string("no ") + what + " given (empty path)");
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) throw Error(StatusCode::kFileNotFound, path + ": no such file");
  if (std::filesystem::is_directory(status))
    throw Error(StatusCode::kFileNotFound, path + ": is a directory, not a " + what);
}

sdk::InferenceSettings inference_settings(const RuntimeOptions& options) {
  sdk::InferenceSettings settings;
  if (!options.precision.empty()) settings.precision = models::parse_precision(options.precision);
  return settings;
}

void check_options(const RuntimeOptions& options) {
  if (options.threads < 0)
    throw Error(StatusCode::kInvalidArgument,
                "threads must be 0 (all cores) or more, got " + std::to_string(options.threads));
  if (options.batch_size < 1)
    throw Error(StatusCode::kInvalidArgument,
                "batch_size must be at least 1, got " + std::to_string(options.batch_size));
  const auto settings = guarded([&] { return inference_settings(options); });  // kInvalidArgument for a bad name
  try {
    models::check_precision_supported(settings.precision);
  } catch (const std::invalid_argument& e) {
    throw Error(StatusCode::kUnsupported, e.what());
  }
  const auto& d = options.device;
  if (d == "cpu" || d.empty()) return;
  if (d.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw Error(StatusCode::kUnsupported, "device '" + d + "': this build's LibTorch has no CUDA (use \"cpu\")");
    throw Error(StatusCode::kUnsupported, "device '" + d + "': the app-facing API runs on the CPU only so far");
  }
  throw Error(StatusCode::kInvalidArgument, "unknown device '" + d + "' (use \"cpu\")");
}

void check_top_k(int top_k) {
  if (top_k < 1) throw Error(StatusCode::kInvalidArgument, "top_k must be at least 1, got " + std::to_string(top_k));
}

void check_sample_rate(int sample_rate) {
  if (sample_rate < kMinSampleRate || sample_rate > kMaxSampleRate)
    throw Error(StatusCode::kInvalidArgument, "sample_rate: " + std::to_string(sample_rate) +
                                                  " Hz is out of range (supported: " + std::to_string(kMinSampleRate) +
                                                  " to " + std::to_string(kMaxSampleRate) + " Hz)");
}

CallThreads::CallThreads(int threads) : previous_(at::get_num_threads()) {
  sdk::configure_threads(threads);
}

CallThreads::~CallThreads() {
  // LibTorch's count is per thread: an app's own setting on this thread outlives our calls. Not
  // through configure_threads, whose limit check could throw from a destructor.
  if (at::get_num_threads() != previous_) at::set_num_threads(previous_);
}

}  // namespace api_detail
}  // namespace unirep
