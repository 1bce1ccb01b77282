#include "zip_archive.h"

#include <unirep/io/atomic_file.h>
#include <unirep/io/format_error.h>

#include "file_reader.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace unirep::io {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kEnd64Sig = 0x06064b50, kEnd64LocatorSig = 0x07064b50;
constexpr uint64_t kMaxEntries = 1u << 20;

void put(std::string& s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

uint32_t crc32(const void* data, uint64_t size, uint32_t crc) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (uint64_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

ZipReader::ZipReader(std::shared_ptr<FileReader> file) : file_(std::move(file)) {
  const auto& f = *file_;
  const std::string& path = f.path();
  if (f.size() < 22) throw FormatError(path, "not a zip archive (too short)");
  // The end-of-central-directory record sits in the last 22 + 65535 bytes.
  const uint64_t tail_size = std::min<uint64_t>(f.size(), 22 + 65535);
  const std::string tail = f.read_string(f.size() - tail_size, tail_size, "end of central directory");
  int64_t eocd = -1;
  for (int64_t i = static_cast<int64_t>(tail_size) - 22; i >= 0; --i)
    if (load_le(reinterpret_cast<const unsigned char*>(tail.data() + i), 4) == kEndSig) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw FormatError(path, "not a zip archive (no end of central directory record)");
  const auto* e = reinterpret_cast<const unsigned char*>(tail.data() + eocd);
  uint64_t count = load_le(e + 10, 2), cd_size = load_le(e + 12, 4), cd_offset = load_le(e + 16, 4);
  const uint64_t eocd_abs = f.size() - tail_size + static_cast<uint64_t>(eocd);
  if ((count == 0xffff || cd_size == 0xffffffff || cd_offset == 0xffffffff) && eocd_abs >= 20) {
    unsigned char loc[20];
    f.read_at(eocd_abs - 20, loc, 20, "zip64 locator");
    if (load_le(loc, 4) == kEnd64LocatorSig) {
      unsigned char z[56];
      f.read_at(load_le(loc + 8, 8), z, 56, "zip64 end of central directory");
      if (load_le(z, 4) != kEnd64Sig) throw FormatError(path, "corrupt zip64 end of central directory");
      count = load_le(z + 32, 8);
      cd_size = load_le(z + 40, 8);
      cd_offset = load_le(z + 48, 8);
    }
  }
  if (count > kMaxEntries) throw FormatError(path, "absurd zip entry count " + std::to_string(count));
  if (cd_offset > f.size() || cd_size > f.size() - cd_offset)
    throw FormatError(path, "zip central directory lies outside the file");
  const std::string cd = f.read_string(cd_offset, cd_size, "central directory");
  uint64_t pos = 0;
  for (uint64_t i = 0; i < count; ++i) {
    if (cd_size - pos < 46) throw FormatError(path, "truncated zip central directory");
    const auto* c = reinterpret_cast<const unsigned char*>(cd.data() + pos);
    if (load_le(c, 4) != kCentralSig) throw FormatError(path, "corrupt zip central directory entry");
    const uint64_t method = load_le(c + 10, 2);
    uint64_t comp = load_le(c + 20, 4), size = load_le(c + 24, 4);
    const uint64_t name_len = load_le(c + 28, 2), extra_len = load_le(c + 30, 2), comment_len = load_le(c + 32, 2);
    uint64_t local = load_le(c + 42, 4);
    if (cd_size - pos < 46 + name_len + extra_len + comment_len) throw FormatError(path, "truncated zip central directory");
    Entry entry;
    entry.name = cd.substr(pos + 46, name_len);
    // ZIP64 extra field: the 64-bit values replace the 32-bit fields that are 0xffffffff, in order.
    uint64_t x = pos + 46 + name_len;
    const uint64_t x_end = x + extra_len;
    while (x + 4 <= x_end) {
      const auto* h = reinterpret_cast<const unsigned char*>(cd.data() + x);
      const uint64_t id = load_le(h, 2), len = load_le(h + 2, 2);
      if (x + 4 + len > x_end) break;
      if (id == 1) {
        uint64_t q = 0;
        auto next = [&](uint64_t& field) {
          if (field != 0xffffffff) return;
          if (q + 8 > len) throw FormatError(path, "corrupt zip64 extra field for '" + entry.name + "'");
          field = load_le(h + 4 + q, 8);
          q += 8;
        };
        next(size);
        next(comp);
        next(local);
      }
      x += 4 + len;
    }
    if (method != 0)
      throw FormatError(path, "zip entry '" + entry.name + "' is compressed (method " + std::to_string(method) +
                                  "); torch.save checkpoints are stored uncompressed");
    if (comp != size) throw FormatError(path, "zip entry '" + entry.name + "' has inconsistent sizes");
    unsigned char lh[30];
    f.read_at(local, lh, 30, "zip local header");
    if (load_le(lh, 4) != kLocalSig) throw FormatError(path, "corrupt zip local header for '" + entry.name + "'");
    entry.data_offset = local + 30 + load_le(lh + 26, 2) + load_le(lh + 28, 2);
    entry.size = size;
    if (entry.data_offset > f.size() || size > f.size() - entry.data_offset)
      throw FormatError(path, "zip entry '" + entry.name + "' extends past the end of the file (truncated?)");
    entries_.push_back(std::move(entry));
    pos += 46 + name_len + extra_len + comment_len;
  }
}

const ZipReader::Entry* ZipReader::find(const std::string& name) const {
  for (const auto& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

std::string ZipReader::read(const Entry& e) const { return file_->read_string(e.data_offset, e.size, e.name.c_str()); }

void ZipReader::read_into(const Entry& e, void* out, uint64_t size) const {
  file_->read_at(e.data_offset, out, size, e.name.c_str());
}

void ZipWriter::add(const std::string& name, const void* data, uint64_t size) {
  const uint64_t offset = out_.position();
  const uint32_t crc = crc32(data, size);
  const bool zip64 = size >= 0xffffffffu;
  std::string h;
  put(h, kLocalSig, 4);
  put(h, zip64 ? 45 : 20, 2);
  put(h, 0, 2);  // flags
  put(h, 0, 2);  // stored
  put(h, 0, 4);  // time, date
  put(h, crc, 4);
  put(h, zip64 ? 0xffffffffu : size, 4);
  put(h, zip64 ? 0xffffffffu : size, 4);
  put(h, name.size(), 2);
  std::string extra;
  if (zip64) {
    put(extra, 1, 2);
    put(extra, 16, 2);
    put(extra, size, 8);
    put(extra, size, 8);
  }
  // Padding extra field so the data starts on a 64-byte boundary (lets readers mmap tensors).
  const uint64_t base = offset + 30 + name.size() + extra.size() + 4;
  const uint64_t pad = (64 - base % 64) % 64;
  put(extra, 0x4246, 2);  // "FB", the id PyTorch uses
  put(extra, pad, 2);
  extra.append(pad, 'Z');
  put(h, extra.size(), 2);
  h += name;
  h += extra;
  out_.write(h);
  out_.write(data, size);
  written_.push_back({name, crc, size, offset});
}

void ZipWriter::finish() {
  const uint64_t cd_offset = out_.position();
  std::string cd;
  for (const auto& w : written_) {
    const bool zip64 = w.size >= 0xffffffffu || w.header_offset >= 0xffffffffu;
    std::string extra;
    if (zip64) {
      put(extra, 1, 2);
      put(extra, 24, 2);
      put(extra, w.size, 8);
      put(extra, w.size, 8);
      put(extra, w.header_offset, 8);
    }
    put(cd, kCentralSig, 4);
    put(cd, zip64 ? 45 : 20, 2);  // made by
    put(cd, zip64 ? 45 : 20, 2);  // needed
    put(cd, 0, 2);
    put(cd, 0, 2);
    put(cd, 0, 4);
    put(cd, w.crc, 4);
    put(cd, zip64 ? 0xffffffffu : w.size, 4);
    put(cd, zip64 ? 0xffffffffu : w.size, 4);
    put(cd, w.name.size(), 2);
    put(cd, extra.size(), 2);
    put(cd, 0, 2);  // comment
    put(cd, 0, 2);  // disk
    put(cd, 0, 2);  // internal attributes
    put(cd, 0, 4);  // external attributes
    put(cd, zip64 ? 0xffffffffu : w.header_offset, 4);
    cd += w.name;
    cd += extra;
  }
  out_.write(cd);
  const uint64_t cd_size = cd.size();
  const bool zip64 = cd_offset >= 0xffffffffu || written_.size() >= 0xffff;
  std::string end;
  if (zip64) {
    const uint64_t end64 = out_.position();
    put(end, kEnd64Sig, 4);
    put(end, 44, 8);
    put(end, 45, 2);
    put(end, 45, 2);
    put(end, 0, 4);
    put(end, 0, 4);
    put(end, written_.size(), 8);
    put(end, written_.size(), 8);
    put(end, cd_size, 8);
    put(end, cd_offset, 8);
    put(end, kEnd64LocatorSig, 4);
    put(end, 0, 4);
    put(end, end64, 8);
    put(end, 1, 4);
  }
  put(end, kEndSig, 4);
  put(end, 0, 2);
  put(end, 0, 2);
  put(end, zip64 ? 0xffff : written_.size(), 2);
  put(end, zip64 ? 0xffff : written_.size(), 2);
  put(end, zip64 ? 0xffffffffu : cd_size, 4);
  put(end, zip64 ? 0xffffffffu : cd_offset, 4);
  put(end, 0, 2);
  out_.write(end);
}

}  // namespace unirep::io
