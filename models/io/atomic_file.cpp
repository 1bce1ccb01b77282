#include "models/io/atomic_file.h"

#include "models/io/format_error.h"
#include "models/io/output_transaction.h"

#include "cleanup_registry.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>

namespace unirep::io {
namespace {

std::atomic<int> g_standard_output_fd{STDOUT_FILENO};

// A FIFO that nobody reads yet is given this long to get a reader before the output fails.
constexpr auto kFifoReaderWait = std::chrono::seconds(10);
constexpr int kMaxLinkHops = 40;  // as the kernel's own limit

std::string errno_text() {
  return std::strerror(errno);
}

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

void sync_directory(const std::string& dir) {
  // The new content is complete either way, so a directory that cannot be opened or synced (some
  // filesystems refuse) is not an error.
  const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
}

// The path an output to `path` lands on when nothing is there yet: symbolic links followed
// (dangling ones included) until a path that is not a link.
std::string resolve_output_target(const std::string& path) {
  std::string p = path;
  for (int hop = 0; hop <= kMaxLinkHops; ++hop) {
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) {
      if (errno == ELOOP) break;
      return p;  // nothing there yet (or a missing folder, reported when the file is created)
    }
    if (!S_ISLNK(st.st_mode)) return p;
    std::string link(PATH_MAX, '\0');
    const ssize_t n = readlink(p.c_str(), link.data(), link.size());
    if (n < 0) throw FormatError(path, "cannot read the symbolic link: " + errno_text());
    link.resize(static_cast<size_t>(n));
    p = link.front() == '/' ? link : parent_dir(p) + "/" + link;
  }
  throw FormatError(path, "a loop of symbolic links (more than 40 hops)");
}

}  // namespace

void set_standard_output_fd(int fd) {
  g_standard_output_fd.store(fd);
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (path_ == "-") {
    fd_ = fcntl(g_standard_output_fd.load(), F_DUPFD_CLOEXEC, 0);
    if (fd_ < 0) throw FormatError("standard output", "cannot be written: " + errno_text());
    return;
  }
  if (path_.empty() || path_.back() == '/') throw FormatError(path_, "not a file path");
  struct stat st;
  if (stat(path_.c_str(), &st) != 0) {
    if (errno == ELOOP) throw FormatError(path_, "a loop of symbolic links");
    if (errno != ENOENT) throw FormatError(path_, "cannot be written: " + errno_text());
    target_ = resolve_output_target(path_);  // a new file, or the missing target of a dangling link
    open_temporary(target_, false, 0, 0, 0);
    return;
  }
  if (S_ISDIR(st.st_mode)) throw FormatError(path_, "is a directory, not a file");
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
    open_direct(path_, S_ISFIFO(st.st_mode));
    return;
  }
  if (!S_ISREG(st.st_mode))
    throw FormatError(path_, "is a block device or socket; unirep writes only files, FIFOs and character devices");
  // rename() would replace a file its owner made read-only where writing through it would not;
  // a file with no write permission at all is refused even for root, as a file the user protects.
  if ((st.st_mode & 0222) == 0) throw FormatError(path_, "is read-only (no write permission); not replaced");
  if (access(path_.c_str(), W_OK) != 0) throw FormatError(path_, "is read-only (" + errno_text() + "); not replaced");
  // The real file behind any links (also /proc/self/fd/N), so the rename replaces it and keeps the links.
  char* real = realpath(path_.c_str(), nullptr);
  if (real == nullptr) throw FormatError(path_, "cannot be written: " + errno_text());
  target_ = real;
  std::free(real);
  open_temporary(target_, true, st.st_mode & 07777, st.st_uid, st.st_gid);
}

void AtomicFile::open_direct(const std::string& target, bool fifo) {
  // A FIFO opened for writing without a reader fails with ENXIO when non-blocking: wait a while
  // for the reader instead of blocking forever.
  const auto deadline = std::chrono::steady_clock::now() + kFifoReaderWait;
  while (true) {
    fd_ = open(target.c_str(), O_WRONLY | O_CLOEXEC | (fifo ? O_NONBLOCK : 0));
    if (fd_ >= 0 || !fifo || errno != ENXIO || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (fd_ < 0) {
    if (fifo && errno == ENXIO) throw FormatError(path_, "a FIFO that no process reads (waited 10 s)");
    throw FormatError(path_, "cannot open for writing: " + errno_text());
  }
  if (fifo) fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
}

void AtomicFile::open_temporary(const std::string& target, bool target_exists, unsigned mode, unsigned uid,
                                unsigned gid) {
  // open(O_EXCL) rather than mkstemp: a new file gets 0666 minus the umask like any other output,
  // where mkstemp would leave it 0600. Signals wait until the file is registered for cleanup.
  CleanupSignalsHeld held;
  for (int attempt = 0; attempt < 16 && fd_ < 0; ++attempt) {
    temp_path_ = temp_name(target);
    fd_ = open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && errno != EEXIST) break;
  }
  if (fd_ < 0) {
    const std::string why = errno_text();
    temp_path_.clear();
    throw FormatError(path_, "cannot create the output file: " + why);
  }
  cleanup_slot_ = register_temporary_for_cleanup(temp_path_.c_str());
  if (target_exists) {
    if (geteuid() == 0) (void)fchown(fd_, uid, gid);  // root replacing a user's file keeps it theirs
    fchmod(fd_, mode);
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) close(fd_);
  if (!committed_ && !temp_path_.empty()) {
    unlink(temp_path_.c_str());
    unregister_cleanup(cleanup_slot_);
  }
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
  // Pipes and devices cannot be synced (EINVAL); only files are.
  if (!direct() && fsync(fd_) != 0) throw FormatError(path_, "fsync failed: " + errno_text());
  // close() can report a deferred write error (NFS), so it is checked like the writes.
  const int rc = close(fd_);
  fd_ = -1;
  if (rc != 0) throw FormatError(path_, "close failed: " + errno_text());
  committed_ = true;
  if (direct()) return;
  if (auto* transaction = OutputTransaction::current()) {
    transaction->stage(temp_path_, target_, path_, cleanup_slot_);
    return;
  }
  if (std::rename(temp_path_.c_str(), target_.c_str()) != 0) {
    committed_ = false;  // the destructor removes the temporary file
    throw FormatError(path_, "cannot rename the temporary file into place: " + errno_text());
  }
  unregister_cleanup(cleanup_slot_);
  sync_directory(parent_dir(target_));
}

}  // namespace unirep::io
