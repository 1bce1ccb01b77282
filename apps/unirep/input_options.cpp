#include "input_options.h"

#include "models/io/text_escape.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace unirep::cli {
namespace {

std::string why_not_readable(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ELOOP) return "a loop of symbolic links";
    struct stat link;
    if (errno == ENOENT && lstat(path.c_str(), &link) == 0) return "a symbolic link to a missing file";
    if (errno == ENOENT) return "does not exist";
    return std::strerror(errno);
  }
  if (S_ISDIR(st.st_mode)) return "is a directory, not a file";
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
    return "is not a file, FIFO or character device";
  if (access(path.c_str(), R_OK) != 0) return std::strerror(errno);
  return "";
}

}  // namespace

CLI::Validator existing_input(bool standard_input) {
  return CLI::Validator(
      [standard_input](std::string& path) -> std::string {
        if (standard_input && path == "-") return "";
        const auto why = why_not_readable(path);
        return why.empty() ? "" : io::escape_text(path, 200) + ": " + why;
      },
      "FILE", "existing input");
}

}  // namespace unirep::cli
