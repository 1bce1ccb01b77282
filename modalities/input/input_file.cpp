#include "modalities/input/input_file.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace unirep::modalities {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw std::runtime_error(path + ": " + problem);
}

// What a failed stat()/open() means, said for a user. "no such file" is the SDK's word for a missing
// file everywhere (audio, images, video); a loop of links is named as such.
std::string describe_errno(const std::string& path, int err) {
  switch (err) {
    case ENOENT: {
      struct stat link {};
      if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode))
        return "no such file (a symbolic link to a missing file)";
      return "no such file";
    }
    case ENOTDIR:
      return "no such file (a part of the path is not a folder)";
    case ELOOP:
      return "a loop of symbolic links (it points back to itself)";
    case EACCES:
    case EPERM:
      return "cannot be read (permission denied)";
    case ENAMETOOLONG:
      return "does not exist (the name is too long)";
    default:
      return std::string("cannot be opened (") + std::strerror(err) + ")";
  }
}

std::string limit_text(uint64_t max_bytes) {
  return "the limit of " + std::to_string(max_bytes) + " bytes" +
         (max_bytes >= 1024 ? " (" + describe_bytes(max_bytes) + ")" : "");
}

// Closes the descriptor when the read is done or fails.
struct Fd {
  int fd = -1;
  bool owned = true;
  ~Fd() {
    if (owned && fd >= 0) ::close(fd);
  }
};

std::string over_limit(const InputLimits& limits) {
  return "is not a regular file and gave more than " + limit_text(limits.max_bytes) + " without ending";
}

std::string too_big(uint64_t size, const InputLimits& limits) {
  return "the file is " + std::to_string(size) + " bytes, more than " + limit_text(limits.max_bytes);
}

// A regular file: its size is known, so one over the limit is refused before reading anything.
// Reads at most max_bytes + 1 bytes in case it grows while being read.
std::string read_regular(const std::string& path, int fd, uint64_t size, const InputLimits& limits) {
  if (size > limits.max_bytes) fail(path, too_big(size, limits));
  std::string out;
  out.reserve(static_cast<size_t>(size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, std::string("cannot be read (") + std::strerror(errno) + ")");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > limits.max_bytes)
      fail(path, "the file grew past " + limit_text(limits.max_bytes) + " while being read");
  }
  return out;
}

// A pipe, FIFO, socket or device: read in chunks until it ends, refused past max_bytes; each wait for
// data is bounded by writer_wait_s, so a FIFO nobody opens for writing (which on Linux reports
// neither data nor hang-up) and a writer that goes quiet both fail instead of blocking.
std::string read_stream(const std::string& path, int fd, const InputLimits& limits) {
  // Kept as a list of 1 MiB chunks and joined at the end: an input cut off at the limit never held
  // more than the limit, where a growing string would have held its old and new buffers at once.
  constexpr size_t kChunk = 1 << 20;
  std::vector<std::string> chunks;
  uint64_t total = 0;
  const double wait_s = std::max(0.0, limits.writer_wait_s);
  for (;;) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
    pollfd p{fd, POLLIN, 0};
    int ready = 0;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      ready = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, std::min<long long>(left, 1 << 30))));
      if (ready < 0 && errno == EINTR) continue;
      break;
    }
    if (ready < 0) fail(path, std::string("cannot be read (") + std::strerror(errno) + ")");
    if (ready == 0) {
      char secs[32];
      std::snprintf(secs, sizeof secs, "%g", wait_s);
      fail(path, total == 0 ? std::string("no data came within ") + secs + " s (a FIFO or pipe with no writer?)"
                            : std::string("no more data came within ") + secs + " s and the input did not end");
    }
    if ((p.revents & POLLNVAL) != 0) fail(path, "cannot be read (not an open file)");
    if (chunks.empty() || chunks.back().size() == kChunk) {
      chunks.emplace_back();
      chunks.back().reserve(kChunk);
    }
    std::string& chunk = chunks.back();
    const size_t had = chunk.size();
    chunk.resize(kChunk);
    const ssize_t n = ::read(fd, chunk.data() + had, kChunk - had);
    chunk.resize(had + static_cast<size_t>(std::max<ssize_t>(n, 0)));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      fail(path, std::string("cannot be read (") + std::strerror(errno) + ")");
    }
    if (n == 0) break;  // the writer closed its end (or the device ended)
    total += static_cast<uint64_t>(n);
    if (total > limits.max_bytes) fail(path, over_limit(limits));
  }
  std::string out;
  out.reserve(static_cast<size_t>(total));
  for (auto& c : chunks) {
    out += c;
    std::string().swap(c);
  }
  return out;
}

struct stat stat_or_fail(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail(path, describe_errno(path, errno));
  if (S_ISDIR(st.st_mode)) fail(path, "is a directory, not a file");
  return st;
}

}  // namespace

std::string describe_bytes(uint64_t bytes) {
  static const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
  double v = static_cast<double>(bytes) / 1024;
  int u = 0;
  while (v >= 1024 && u < 5) v /= 1024, ++u;
  char s[32];
  std::snprintf(s, sizeof s, v == std::floor(v) ? "%.0f %s" : "%.1f %s", v, units[u]);
  return s;
}

bool check_input_path(const std::string& path, const InputLimits& limits) {
  if (path.empty()) fail("(empty path)", "no file was named");
  if (path == "-") return false;
  const struct stat st = stat_or_fail(path);
  if (::access(path.c_str(), R_OK) != 0) fail(path, describe_errno(path, errno));
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > limits.max_bytes)
    fail(path, too_big(static_cast<uint64_t>(st.st_size), limits));
  return S_ISREG(st.st_mode);
}

std::string read_input_bytes(const std::string& path, const InputLimits& limits) {
  if (path.empty()) fail("(empty path)", "no file was named");
  Fd f;
  if (path == "-") {
    // Standard input stays blocking: it is shared with whoever started us, so its flags are not ours
    // to change; poll() before each read bounds the wait all the same.
    f.fd = STDIN_FILENO;
    f.owned = false;
  } else {
    stat_or_fail(path);
    // O_NONBLOCK so that opening a FIFO does not wait for a writer; regular files ignore it.
    f.fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (f.fd < 0) fail(path, describe_errno(path, errno));
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) fail(path, std::string("cannot be read (") + std::strerror(errno) + ")");
  if (S_ISDIR(st.st_mode)) fail(path, "is a directory, not a file");
  if (S_ISREG(st.st_mode)) {
    if (path != "-") {
      // Back to blocking reads: a regular file never waits, and some file systems dislike O_NONBLOCK.
      const int flags = ::fcntl(f.fd, F_GETFL);
      if (flags >= 0) ::fcntl(f.fd, F_SETFL, flags & ~O_NONBLOCK);
    }
    return read_regular(path, f.fd, static_cast<uint64_t>(st.st_size), limits);
  }
  return read_stream(path, f.fd, limits);
}

}  // namespace unirep::modalities
