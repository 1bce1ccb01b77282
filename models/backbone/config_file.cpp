#include "config_file.h"

#include "models/io/format_error.h"
#include "models/backbone/backbone_config.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace unirep::models {
namespace {

// Closes the descriptor on every path out of read_config_text.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "a special file";
}

}  // namespace

std::string read_config_text(const std::string& path) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
  Descriptor file{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  if (file.fd < 0) throw io::FormatError(path, std::string("cannot open config file (") + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(file.fd, &st) != 0)
    throw io::FormatError(path, std::string("cannot stat config file (") + std::strerror(errno) + ")");
  if (!S_ISREG(st.st_mode))
    throw io::FormatError(path, std::string("is ") + kind_of(st.st_mode) + ", not a JSON config file");
  if (st.st_size > kMaxConfigFileBytes)
    throw io::FormatError(path, "config file is " + std::to_string(st.st_size) + " bytes, more than the limit of " +
                                    std::to_string(kMaxConfigFileBytes) + " for a layout JSON");
  // Read at most one byte past the limit, so a file that grows while it is read is still bounded.
  std::string text(static_cast<size_t>(kMaxConfigFileBytes) + 1, '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(file.fd, &text[got], text.size() - got);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw io::FormatError(path, std::string("cannot read config file (") + std::strerror(errno) + ")");
    }
    got += static_cast<size_t>(n);
  }
  if (got > static_cast<size_t>(kMaxConfigFileBytes))
    throw io::FormatError(
        path, "config file grew past the limit of " + std::to_string(kMaxConfigFileBytes) + " bytes while it was read");
  text.resize(got);
  return text;
}

}  // namespace unirep::models
