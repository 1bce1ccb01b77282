#include "zip_archive.h"

#include "models/io/format_error.h"

#include "crc32.h"

#include <algorithm>
#include <numeric>

namespace unirep::io {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kEnd64Sig = 0x06064b50, kEnd64LocatorSig = 0x07064b50;
constexpr uint64_t kEndSize = 22, kEnd64LocatorSize = 20, kEnd64Size = 56;
constexpr uint64_t kCentralSize = 46, kLocalSize = 30;
constexpr uint64_t kMaxComment = 65535;

uint64_t le(const std::string& s, uint64_t at, int bytes) {
  return load_le(reinterpret_cast<const unsigned char*>(s.data() + at), bytes);
}

}  // namespace

ZipReader::ZipReader(std::string path) : file_(std::move(path)) {
  const uint64_t fsize = file_.size();
  if (fsize < kEndSize) throw FormatError(this->path(), "not a zip archive (only " + std::to_string(fsize) + " bytes)");
  // The end-of-central-directory record is the last thing in the file, followed only by a comment
  // of at most 65535 bytes; search backwards so a signature inside the comment cannot win.
  const uint64_t tail_size = std::min<uint64_t>(fsize, kEndSize + kMaxComment);
  const uint64_t tail_start = fsize - tail_size;
  const std::string tail = file_.read_string(tail_start, tail_size, "end of central directory");
  uint64_t eocd = tail_size;
  for (uint64_t i = tail_size - kEndSize + 1; i-- > 0;) {
    if (le(tail, i, 4) == kEndSig && i + kEndSize + le(tail, i + 20, 2) == tail_size) {
      eocd = i;
      break;
    }
  }
  if (eocd == tail_size)
    throw FormatError(this->path(), "not a zip archive (no end of central directory record; truncated?)");
  if (le(tail, eocd + 4, 2) != 0 || le(tail, eocd + 6, 2) != 0)
    throw FormatError(this->path(), "multi-disk zip archives are not supported");
  uint64_t count = le(tail, eocd + 10, 2);
  uint64_t cd_size = le(tail, eocd + 12, 4);
  uint64_t cd_offset = le(tail, eocd + 16, 4);
  const uint64_t eocd_abs = tail_start + eocd;

  // Saturated fields mean the real values live in the ZIP64 end record, found through its locator.
  if (count == 0xffff || cd_size == 0xffffffffu || cd_offset == 0xffffffffu) {
    if (eocd_abs < kEnd64LocatorSize)
      throw FormatError(this->path(), "zip64 end of central directory locator is missing");
    unsigned char loc[kEnd64LocatorSize];
    file_.read_at(eocd_abs - kEnd64LocatorSize, loc, kEnd64LocatorSize, "zip64 locator");
    if (load_le(loc, 4) != kEnd64LocatorSig)
      throw FormatError(this->path(), "zip64 end of central directory locator is missing");
    const uint64_t end64 = load_le(loc + 8, 8);
    if (end64 > eocd_abs - kEnd64LocatorSize || eocd_abs - kEnd64LocatorSize - end64 < kEnd64Size)
      throw FormatError(this->path(), "zip64 end of central directory record lies outside the file");
    unsigned char z[kEnd64Size];
    file_.read_at(end64, z, kEnd64Size, "zip64 end of central directory");
    if (load_le(z, 4) != kEnd64Sig) throw FormatError(this->path(), "corrupt zip64 end of central directory record");
    count = load_le(z + 32, 8);
    cd_size = load_le(z + 40, 8);
    cd_offset = load_le(z + 48, 8);
  }
  if (cd_offset > eocd_abs || cd_size > eocd_abs - cd_offset)
    throw FormatError(this->path(), "zip central directory (offset " + std::to_string(cd_offset) + ", " +
                                        std::to_string(cd_size) + " bytes) lies outside the file");
  // Each entry takes at least 46 bytes, so the directory's size bounds the count before anything
  // is allocated for it.
  if (count > cd_size / kCentralSize)
    throw FormatError(this->path(), "zip central directory claims " + std::to_string(count) + " entries in " +
                                        std::to_string(cd_size) + " bytes");
  parse_central_directory(count, cd_offset, cd_size);
  check_no_overlap(cd_offset);
}

void ZipReader::parse_central_directory(uint64_t count, uint64_t cd_offset, uint64_t cd_size) {
  const std::string cd = file_.read_string(cd_offset, cd_size, "central directory");
  entries_.reserve(count);
  local_offsets_.reserve(count);
  uint64_t pos = 0;
  for (uint64_t i = 0; i < count; ++i) {
    if (cd_size - pos < kCentralSize || le(cd, pos, 4) != kCentralSig)
      throw FormatError(path(), "corrupt zip central directory (entry " + std::to_string(i) + ")");
    const uint64_t flags = le(cd, pos + 8, 2), method = le(cd, pos + 10, 2);
    const uint32_t crc = static_cast<uint32_t>(le(cd, pos + 16, 4));
    uint64_t comp = le(cd, pos + 20, 4), size = le(cd, pos + 24, 4);
    const uint64_t name_len = le(cd, pos + 28, 2), extra_len = le(cd, pos + 30, 2), comment_len = le(cd, pos + 32, 2);
    const uint64_t disk = le(cd, pos + 34, 2);
    uint64_t local = le(cd, pos + 42, 4);
    if (cd_size - pos - kCentralSize < name_len + extra_len + comment_len)
      throw FormatError(path(), "corrupt zip central directory (entry " + std::to_string(i) + " runs past its end)");
    Entry entry;
    entry.name = cd.substr(pos + kCentralSize, name_len);
    entry.crc = crc;

    // ZIP64 extended information: 64-bit values replace, in this order, those of the uncompressed
    // size, compressed size and local header offset that are saturated.
    uint64_t x = pos + kCentralSize + name_len;
    const uint64_t x_end = x + extra_len;
    while (x_end - x >= 4) {
      const uint64_t id = le(cd, x, 2), len = le(cd, x + 2, 2);
      if (len > x_end - x - 4) throw FormatError(path(), "corrupt extra field for zip entry '" + entry.name + "'");
      if (id == 1) {
        uint64_t q = x + 4;
        for (uint64_t* field : {&size, &comp, &local}) {
          if (*field != 0xffffffffu) continue;
          if (x + 4 + len - q < 8) throw FormatError(path(), "corrupt zip64 extra field for '" + entry.name + "'");
          *field = le(cd, q, 8);
          q += 8;
        }
      }
      x += 4 + len;
    }
    pos += kCentralSize + name_len + extra_len + comment_len;

    if (flags & 1) throw FormatError(path(), "zip entry '" + entry.name + "' is encrypted");
    if (method != 0)
      throw FormatError(path(), "zip entry '" + entry.name + "' is compressed (method " + std::to_string(method) +
                                    "); torch.save writes stored entries only");
    if (comp != size) throw FormatError(path(), "zip entry '" + entry.name + "' has inconsistent sizes");
    if (disk != 0) throw FormatError(path(), "multi-disk zip archives are not supported");

    // The local header must repeat the name; its own extra field (PyTorch's alignment padding)
    // decides where the data starts.
    unsigned char lh[kLocalSize];
    file_.read_at(local, lh, kLocalSize, "zip local header");
    if (load_le(lh, 4) != kLocalSig)
      throw FormatError(path(), "corrupt local header for zip entry '" + entry.name + "'");
    const uint64_t local_name_len = load_le(lh + 26, 2), local_extra_len = load_le(lh + 28, 2);
    if (local_name_len != name_len ||
        file_.read_string(local + kLocalSize, name_len, "zip local header name") != entry.name)
      throw FormatError(path(), "local header of zip entry '" + entry.name + "' names a different file");
    entry.data_offset = local + kLocalSize + local_name_len + local_extra_len;
    entry.size = size;
    if (entry.data_offset > file_.size() || size > file_.size() - entry.data_offset)
      throw FormatError(path(), "zip entry '" + entry.name + "' (" + std::to_string(size) +
                                    " bytes) runs past the end of the file (truncated?)");
    if (!index_.emplace(entry.name, entries_.size()).second)
      throw FormatError(path(), "zip entry '" + entry.name + "' appears twice");
    entries_.push_back(std::move(entry));
    local_offsets_.push_back(local);
  }
}

// Overlapping entries would let a small file describe many large records; torch.save never
// writes them, so they are refused.
void ZipReader::check_no_overlap(uint64_t cd_offset) const {
  std::vector<size_t> order(entries_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return local_offsets_[a] < local_offsets_[b]; });
  uint64_t end = 0;
  for (size_t i : order) {
    if (local_offsets_[i] < end)
      throw FormatError(path(), "zip entry '" + entries_[i].name + "' overlaps the entry before it");
    end = entries_[i].data_offset + entries_[i].size;
  }
  if (end > cd_offset) throw FormatError(path(), "zip entries overlap the central directory");
}

const ZipReader::Entry* ZipReader::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

std::string ZipReader::read(const Entry& e) const {
  std::string s = file_.read_string(e.data_offset, e.size, e.name.c_str());
  if (crc32(s.data(), s.size()) != e.crc)
    throw FormatError(path(), "zip entry '" + e.name + "' is corrupt (CRC-32 mismatch)");
  return s;
}

void ZipReader::read_into(const Entry& e, void* out, uint64_t size) const {
  if (size > e.size) throw FormatError(path(), "zip entry '" + e.name + "' is shorter than requested");
  file_.read_at(e.data_offset, out, size, e.name.c_str());
  uint32_t crc = crc32(out, size);
  // A record longer than what was asked for is still checksummed to the end, in bounded chunks.
  constexpr uint64_t kChunk = 1u << 20;
  std::string chunk;
  for (uint64_t at = size; at < e.size; at += chunk.size()) {
    chunk = file_.read_string(e.data_offset + at, std::min(kChunk, e.size - at), e.name.c_str());
    crc = crc32(chunk.data(), chunk.size(), crc);
  }
  if (crc != e.crc) throw FormatError(path(), "zip entry '" + e.name + "' is corrupt (CRC-32 mismatch)");
}

}  // namespace unirep::io
