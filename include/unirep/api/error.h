#pragma once
// The one exception type of the C++ API. Every failure of an API call (a missing file, a file that
// is not what it claims, weights that do not fit, bad arguments) arrives as unirep::Error with a
// code and a message naming the file and the problem. The codes are the C API's status codes.
#include <unirep/api/export.h>
#include <unirep/unirep.h>

#include <stdexcept>
#include <string>

namespace unirep {

enum class StatusCode : int {
  kOk = UNIREP_OK,
  kInvalidArgument = UNIREP_ERROR_INVALID_ARGUMENT,  // a bad option or input buffer
  kFileNotFound = UNIREP_ERROR_FILE_NOT_FOUND,       // the path does not exist or is not a regular file
  kBadFile = UNIREP_ERROR_BAD_FILE,                  // unreadable, truncated, corrupt or of the wrong kind
  kModelMismatch = UNIREP_ERROR_MODEL_MISMATCH,      // weights that do not fit the architecture
  kUnsupported = UNIREP_ERROR_UNSUPPORTED,           // e.g. a device this build cannot use
  kOutOfMemory = UNIREP_ERROR_OUT_OF_MEMORY,
  kInternal = UNIREP_ERROR_INTERNAL,  // a bug: please report it with the message
};

class UNIREP_API Error : public std::runtime_error {
 public:
  Error(StatusCode code, const std::string& message);
  StatusCode code() const noexcept { return code_; }

 private:
  StatusCode code_;
};

// "ok", "invalid argument", "file not found", ...
UNIREP_API const char* status_name(StatusCode code) noexcept;

}  // namespace unirep
