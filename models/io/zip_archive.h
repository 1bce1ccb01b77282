#pragma once
// The subset of ZIP that torch.save produces: uncompressed (stored) entries, optionally ZIP64.
// Reading walks the central directory and checks every local header against it; writing emits
// stored entries with their data aligned to 64 bytes, as PyTorch's own writer does.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace unirep::io {

class FileReader;
class AtomicFile;

class ZipReader {
 public:
  struct Entry {
    std::string name;
    uint64_t data_offset = 0;  // absolute offset of the entry's bytes in the file
    uint64_t size = 0;
  };

  explicit ZipReader(std::shared_ptr<FileReader> file);
  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* find(const std::string& name) const;
  std::string read(const Entry& e) const;
  // Reads e's first `size` bytes into `out` (size <= e.size is checked by the caller).
  void read_into(const Entry& e, void* out, uint64_t size) const;
  const FileReader& file() const { return *file_; }

 private:
  std::shared_ptr<FileReader> file_;
  std::vector<Entry> entries_;
};

class ZipWriter {
 public:
  explicit ZipWriter(AtomicFile& out) : out_(out) {}
  void add(const std::string& name, const void* data, uint64_t size);
  void add(const std::string& name, const std::string& bytes) { add(name, bytes.data(), bytes.size()); }
  void finish();  // writes the central directory

 private:
  struct Written {
    std::string name;
    uint32_t crc;
    uint64_t size, header_offset;
  };
  AtomicFile& out_;
  std::vector<Written> written_;
};

uint32_t crc32(const void* data, uint64_t size, uint32_t crc = 0);

}  // namespace unirep::io
