#include <unirep/io/atomic_file.h>

#include <unirep/io/format_error.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

namespace unirep::io {
namespace {

std::string errno_text() { return std::strerror(errno); }

std::string parent_dir(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// A name no other writer (thread or process) picks: pid, a process-wide counter and a random part.
std::string temp_name(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto slash = path.find_last_of('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, ".tmp-%ld-%llu-%08llx", static_cast<long>(getpid()),
                static_cast<unsigned long long>(counter++), static_cast<unsigned long long>(rng() & 0xffffffffu));
  return dir + "." + base + suffix;
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (path_.empty() || path_.back() == '/') throw FormatError(path_, "not a file path");
  // open(O_EXCL) rather than mkstemp: the file gets 0666 minus the umask like any other output,
  // where mkstemp would leave it 0600.
  for (int attempt = 0; attempt < 16 && fd_ < 0; ++attempt) {
    temp_path_ = temp_name(path_);
    fd_ = open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && errno != EEXIST) break;
  }
  if (fd_ < 0) {
    const std::string why = errno_text();
    temp_path_.clear();
    throw FormatError(path_, "cannot create the output file: " + why);
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) close(fd_);
  if (!committed_ && !temp_path_.empty()) unlink(temp_path_.c_str());
}

void AtomicFile::write(const void* data, size_t size) {
  if (fd_ < 0) throw FormatError(path_, "write after the file was committed or failed");
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw FormatError(path_, "write failed: " + errno_text());
    }
    p += n;
    size -= static_cast<size_t>(n);
    written_ += static_cast<uint64_t>(n);
  }
}

void AtomicFile::commit() {
  if (fd_ < 0) throw FormatError(path_, "commit after the file was committed or failed");
  if (fsync(fd_) != 0) throw FormatError(path_, "fsync failed: " + errno_text());
  // close() can report a deferred write error (NFS), so it is checked like the writes.
  const int rc = close(fd_);
  fd_ = -1;
  if (rc != 0) throw FormatError(path_, "close failed: " + errno_text());
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0)
    throw FormatError(path_, "cannot rename the temporary file into place: " + errno_text());
  committed_ = true;
  // Make the rename itself durable. The new content is complete either way, so a directory that
  // cannot be opened or synced (some filesystems refuse) is not an error.
  const int dfd = open(parent_dir(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
}

}  // namespace unirep::io
