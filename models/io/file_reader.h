#pragma once
// Bounds-checked random access to a file. Every read names the file in its error, and a read past
// the end is an error rather than a short read, so parsers can never trust a size from the file.
#include <cstdint>
#include <string>

namespace unirep::io {

class FileReader {
 public:
  explicit FileReader(std::string path);  // throws FormatError when the file cannot be opened
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  // Reads exactly `size` bytes at `offset`; `what` names the thing being read in errors.
  void read_at(uint64_t offset, void* out, uint64_t size, const char* what) const;
  std::string read_string(uint64_t offset, uint64_t size, const char* what) const;

 private:
  void check_range(uint64_t offset, uint64_t size, const char* what) const;

  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// Little-endian integer decoding from a byte buffer.
inline uint64_t load_le(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace unirep::io
