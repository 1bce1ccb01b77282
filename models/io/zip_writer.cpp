#include "zip_writer.h"

#include "models/io/atomic_file.h"
#include "models/io/format_error.h"

#include "crc32.h"

namespace unirep::io {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kEnd64Sig = 0x06064b50, kEnd64LocatorSig = 0x07064b50;
constexpr uint64_t kLocalSize = 30;
constexpr uint64_t kAlignment = 64;  // PyTorch's kFieldAlignment
constexpr uint64_t k32 = 0xffffffffu;
constexpr uint16_t kVersion = 20, kVersion64 = 45;  // "needed to extract": 2.0, or 4.5 for ZIP64

void put(std::string& s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

void ZipWriter::add(const std::string& name, const void* data, uint64_t size) {
  if (name.empty() || name.size() > 0xffff)
    throw FormatError(out_.path(), "bad zip entry name length for '" + name + "'");
  const uint64_t offset = out_.position();
  const uint32_t crc = crc32(data, size);
  const bool zip64 = size >= k32;
  std::string extra;
  if (zip64) {
    put(extra, 1, 2);
    put(extra, 16, 2);
    put(extra, size, 8);  // uncompressed
    put(extra, size, 8);  // compressed
  }
  // PyTorch pads with an extra field of id "FB" holding 'Z's, always present even when empty.
  const uint64_t unpadded = offset + kLocalSize + name.size() + extra.size() + 4;
  const uint64_t pad = (kAlignment - unpadded % kAlignment) % kAlignment;
  put(extra, 0x4246, 2);
  put(extra, pad, 2);
  extra.append(pad, 'Z');

  std::string h;
  put(h, kLocalSig, 4);
  put(h, zip64 ? kVersion64 : kVersion, 2);
  put(h, 0, 2);  // flags: sizes and CRC are known up front, so no data descriptor
  put(h, 0, 2);  // method: stored
  put(h, 0, 2);  // time; PyTorch also writes 0 here, which keeps output reproducible
  put(h, 0, 2);  // date
  put(h, crc, 4);
  put(h, zip64 ? k32 : size, 4);
  put(h, zip64 ? k32 : size, 4);
  put(h, name.size(), 2);
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
    const bool zip64 = w.size >= k32 || w.header_offset >= k32;
    std::string extra;
    if (zip64) {
      // Only saturated fields get a 64-bit value, in the order size, compressed size, offset.
      put(extra, 1, 2);
      put(extra, (w.size >= k32 ? 16 : 0) + (w.header_offset >= k32 ? 8 : 0), 2);
      if (w.size >= k32) {
        put(extra, w.size, 8);
        put(extra, w.size, 8);
      }
      if (w.header_offset >= k32) put(extra, w.header_offset, 8);
    }
    put(cd, kCentralSig, 4);
    put(cd, zip64 ? kVersion64 : kVersion, 2);  // made by (MS-DOS attributes)
    put(cd, zip64 ? kVersion64 : kVersion, 2);  // needed to extract
    put(cd, 0, 2);                              // flags
    put(cd, 0, 2);                              // stored
    put(cd, 0, 4);                              // time, date
    put(cd, w.crc, 4);
    put(cd, w.size >= k32 ? k32 : w.size, 4);
    put(cd, w.size >= k32 ? k32 : w.size, 4);
    put(cd, w.name.size(), 2);
    put(cd, extra.size(), 2);
    put(cd, 0, 2);  // comment length
    put(cd, 0, 2);  // disk
    put(cd, 0, 2);  // internal attributes
    put(cd, 0, 4);  // external attributes
    put(cd, w.header_offset >= k32 ? k32 : w.header_offset, 4);
    cd += w.name;
    cd += extra;
  }
  out_.write(cd);
  const uint64_t cd_size = cd.size();
  const uint64_t count = written_.size();
  const bool zip64 = cd_offset >= k32 || cd_size >= k32 || count >= 0xffff;
  std::string end;
  if (zip64) {
    const uint64_t end64 = out_.position();
    put(end, kEnd64Sig, 4);
    put(end, 44, 8);  // size of the rest of this record
    put(end, kVersion64, 2);
    put(end, kVersion64, 2);
    put(end, 0, 4);  // this disk
    put(end, 0, 4);  // disk with the central directory
    put(end, count, 8);
    put(end, count, 8);
    put(end, cd_size, 8);
    put(end, cd_offset, 8);
    put(end, kEnd64LocatorSig, 4);
    put(end, 0, 4);
    put(end, end64, 8);
    put(end, 1, 4);  // total disks
  }
  put(end, kEndSig, 4);
  put(end, 0, 2);
  put(end, 0, 2);
  put(end, zip64 ? 0xffff : count, 2);
  put(end, zip64 ? 0xffff : count, 2);
  put(end, zip64 ? k32 : cd_size, 4);
  put(end, zip64 ? k32 : cd_offset, 4);
  put(end, 0, 2);  // comment length
  out_.write(end);
}

}  // namespace unirep::io
