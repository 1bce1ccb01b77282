#pragma once
// Writing a file so that readers only ever see the old content or the complete new content:
// data goes to a temporary file beside the target, is fsync'ed, then renamed over the target.
// If anything fails (or the object is destroyed before commit()), the temporary file is removed
// and the target is left untouched.
#include <cstddef>
#include <cstdint>
#include <string>

namespace unirep::io {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // throws FormatError if the temporary file cannot be created
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t size);
  void write(const std::string& bytes) { write(bytes.data(), bytes.size()); }
  uint64_t position() const { return written_; }
  // The target path (not the temporary file), for error messages.
  const std::string& path() const { return path_; }
  // fsync, rename over the target, fsync the directory.
  void commit();

 private:
  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  uint64_t written_ = 0;
  bool committed_ = false;
};

}  // namespace unirep::io
