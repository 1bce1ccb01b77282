#pragma once
// Writing an output so that nothing the user owns is lost (docs/reliability.md, "Files the user
// owns"):
// - a regular file (or a new path) is written to a temporary file beside its target, fsync'ed and
//   renamed over it: readers see the old content or the complete new one, and a failure or an
//   object destroyed before commit() leaves the target untouched and no temporary file behind;
// - a symbolic link is followed: its final target is replaced, the link stays;
// - an existing file keeps its permission bits (and, for root, its owner); a read-only file is
//   refused instead of replaced;
// - a FIFO or a character device (/dev/null, a terminal) is written directly, with no rename;
// - "-" is standard output (io::set_standard_output_fd says which descriptor that is);
// - directories, block devices and sockets are refused.
// Inside an io::OutputTransaction the rename waits for the transaction's commit (several outputs,
// all or nothing). Temporary files are removed if the process is stopped by a signal once
// io::remove_outputs_on_signals() is installed.
#include <cstddef>
#include <cstdint>
#include <string>

namespace unirep::io {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // throws FormatError naming `path` when it cannot be written
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t size);
  void write(const std::string& bytes) { write(bytes.data(), bytes.size()); }
  uint64_t position() const { return written_; }
  // The path as given (not the temporary file), for error messages.
  const std::string& path() const { return path_; }
  // True when the output is written in place (standard output, a FIFO, a character device): a
  // failure part way cannot be undone there.
  bool direct() const { return temp_path_.empty(); }
  // fsync, then rename over the target (or hand the file to the open OutputTransaction).
  void commit();

 private:
  void open_direct(const std::string& target, bool fifo);
  void open_temporary(const std::string& target, bool target_exists, unsigned mode, unsigned uid, unsigned gid);

  std::string path_;
  std::string target_;     // after following symbolic links
  std::string temp_path_;  // empty when written directly
  int fd_ = -1;
  int cleanup_slot_ = -1;  // registration for removal on a signal
  uint64_t written_ = 0;
  bool committed_ = false;
};

// The descriptor "-" writes to (default 1). The CLI points it at a duplicate of the real standard
// output and sends its own messages to standard error when an output is "-".
void set_standard_output_fd(int fd);

}  // namespace unirep::io
