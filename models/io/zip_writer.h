#pragma once
// Writing a zip archive the way PyTorch's torch.save does: stored entries only, each entry's data
// aligned to 64 bytes by an "FB" padding field in its local header (so readers can map tensors in
// place), ZIP64 records only where sizes or offsets need them.
#include <cstdint>
#include <string>
#include <vector>

namespace unirep::io {

class AtomicFile;

class ZipWriter {
 public:
  explicit ZipWriter(AtomicFile& out) : out_(out) {}
  void add(const std::string& name, const void* data, uint64_t size);
  void add(const std::string& name, const std::string& bytes) { add(name, bytes.data(), bytes.size()); }
  // Writes the central directory and end records; the archive is complete afterwards.
  void finish();

 private:
  struct Written {
    std::string name;
    uint32_t crc;
    uint64_t size, header_offset;
  };
  AtomicFile& out_;
  std::vector<Written> written_;
};

}  // namespace unirep::io
