#pragma once
// Reading the subset of ZIP that torch.save produces: stored (uncompressed) entries, optionally
// ZIP64. Every number taken from the file is checked against the file before it is used: the
// central directory, each local header (which must agree with it), entry bounds, and entries may
// not overlap, so the entries together never hold more bytes than the file does.
#include "file_reader.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace unirep::io {

class ZipReader {
 public:
  struct Entry {
    std::string name;
    uint64_t data_offset = 0;  // absolute offset of the entry's bytes in the file
    uint64_t size = 0;
    uint32_t crc = 0;
  };

  // Opens and indexes the archive; throws FormatError for anything that is not a sound stored zip.
  explicit ZipReader(std::string path);

  const std::string& path() const { return file_.path(); }
  uint64_t file_size() const { return file_.size(); }
  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* find(const std::string& name) const;

  // Reads a whole entry and verifies its CRC-32.
  std::string read(const Entry& e) const;
  // Reads the first `size` bytes of `e` (size <= e.size) into `out`; the CRC-32 is still verified
  // over the whole entry.
  void read_into(const Entry& e, void* out, uint64_t size) const;

 private:
  void parse_central_directory(uint64_t count, uint64_t cd_offset, uint64_t cd_size);
  void check_no_overlap(uint64_t cd_offset) const;

  FileReader file_;
  std::vector<Entry> entries_;
  std::vector<uint64_t> local_offsets_;  // parallel to entries_, for the overlap check
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace unirep::io
