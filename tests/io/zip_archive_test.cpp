// The zip reader and writer on their own: CRC-32, PyTorch's 64-byte alignment, ZIP64 end records,
// and the structural checks that keep a hostile archive from describing more than it holds.
#include "models/io/atomic_file.h"
#include "models/io/format_error.h"

#include <gtest/gtest.h>

#include "../../models/io/crc32.h"
#include "../../models/io/zip_archive.h"
#include "../../models/io/zip_writer.h"
#include "support/test_support.h"

namespace {

using unirep::io::FormatError;
using unirep::io::ZipReader;
using unirep::testing::TempDir;

void put(std::string& s, uint64_t v, int bytes) {
  // Bytes past the eighth are zero (a shift by 64 or more would be undefined).
  for (int i = 0; i < bytes; ++i) s.push_back(i < 8 ? static_cast<char>((v >> (8 * i)) & 0xff) : '\0');
}
uint64_t get(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}

std::string write_zip(const TempDir& dir, const std::vector<std::pair<std::string, std::string>>& entries) {
  const std::string path = dir.file("a.zip");
  unirep::io::AtomicFile out(path);
  unirep::io::ZipWriter zip(out);
  for (const auto& [name, bytes] : entries) zip.add(name, bytes);
  zip.finish();
  out.commit();
  return path;
}

::testing::AssertionResult fails_with(const std::string& path, const std::string& expected) {
  try {
    ZipReader zip(path);
  } catch (const FormatError& e) {
    if (std::string(e.what()).find(expected) == std::string::npos)
      return ::testing::AssertionFailure() << "error '" << e.what() << "' does not mention '" << expected << "'";
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "opened";
}

TEST(Crc32, KnownValues) {
  EXPECT_EQ(unirep::io::crc32("", 0), 0u);
  EXPECT_EQ(unirep::io::crc32("123456789", 9), 0xCBF43926u);
  const std::string fox = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(unirep::io::crc32(fox.data(), fox.size()), 0x414FA339u);
  // Continuing over pieces of every length equals one pass (exercises the 8-byte and tail loops).
  for (size_t cut = 0; cut <= fox.size(); ++cut)
    EXPECT_EQ(unirep::io::crc32(fox.data() + cut, fox.size() - cut, unirep::io::crc32(fox.data(), cut)), 0x414FA339u);
}

TEST(ZipArchive, WriterOutputReadsBackAligned) {
  TempDir dir;
  const std::string big(100000, 'q');
  const std::string path =
      write_zip(dir, {{"f/data.pkl", "abc"}, {"f/data/0", big}, {"f/empty", ""}, {"f/x", "12345"}});
  const ZipReader zip(path);
  ASSERT_EQ(zip.entries().size(), 4u);
  for (const auto& e : zip.entries()) EXPECT_EQ(e.data_offset % 64, 0u) << e.name;
  EXPECT_EQ(zip.read(*zip.find("f/data.pkl")), "abc");
  EXPECT_EQ(zip.read(*zip.find("f/data/0")), big);
  EXPECT_EQ(zip.read(*zip.find("f/empty")), "");
  std::string part(3, '\0');
  zip.read_into(*zip.find("f/x"), part.data(), 3);
  EXPECT_EQ(part, "123");
  EXPECT_EQ(zip.find("f/nope"), nullptr);
}

TEST(ZipArchive, PythonZipfileAgrees) {
  if (std::system("python3 -c 'import zipfile' >/dev/null 2>&1") != 0) GTEST_SKIP() << "no python3";
  TempDir dir;
  const std::string path = write_zip(dir, {{"m/data.pkl", "hello"}, {"m/version", "3\n"}});
  const std::string cmd = "python3 -c \"import zipfile; z = zipfile.ZipFile('" + path +
                          "'); assert z.testzip() is None; assert z.read('m/data.pkl') == b'hello'\"";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

// Rewrites a small archive's end record as ZIP64 (saturated fields, locator, ZIP64 end record),
// as writers do for archives over 4 GiB or 65535 entries.
TEST(ZipArchive, ReadsZip64EndRecords) {
  TempDir dir;
  std::string bytes = unirep::testing::read_bytes(write_zip(dir, {{"z/a", "AAAA"}, {"z/b", "BB"}}));
  const size_t eocd = bytes.size() - 22;
  const uint64_t count = get(bytes, eocd + 10, 2), cd_size = get(bytes, eocd + 12, 4),
                 cd_offset = get(bytes, eocd + 16, 4);
  std::string tail;
  put(tail, 0x06064b50, 4);
  put(tail, 44, 8);
  put(tail, 45, 2);
  put(tail, 45, 2);
  put(tail, 0, 8);
  put(tail, count, 8);
  put(tail, count, 8);
  put(tail, cd_size, 8);
  put(tail, cd_offset, 8);
  put(tail, 0x07064b50, 4);
  put(tail, 0, 4);
  put(tail, eocd, 8);
  put(tail, 1, 4);
  put(tail, 0x06054b50, 4);
  put(tail, 0, 4);
  put(tail, 0xffff, 2);
  put(tail, 0xffff, 2);
  put(tail, 0xffffffffu, 4);
  put(tail, 0xffffffffu, 4);
  put(tail, 0, 2);
  bytes = bytes.substr(0, eocd) + tail;
  unirep::testing::write_bytes(dir.file("z64.zip"), bytes);
  const ZipReader zip(dir.file("z64.zip"));
  ASSERT_EQ(zip.entries().size(), 2u);
  EXPECT_EQ(zip.read(*zip.find("z/a")), "AAAA");

  // Without the locator the saturated fields cannot be resolved.
  std::string no_locator = bytes;
  no_locator[bytes.size() - 22 - 20] = 'X';
  unirep::testing::write_bytes(dir.file("bad64.zip"), no_locator);
  EXPECT_TRUE(fails_with(dir.file("bad64.zip"), "locator"));
}

TEST(ZipArchive, StructuralChecks) {
  TempDir dir;
  const std::string good = unirep::testing::read_bytes(write_zip(dir, {{"a/one", "11111111"}, {"a/two", "22222222"}}));
  const size_t eocd = good.size() - 22;
  const size_t cd = get(good, eocd + 16, 4);
  const size_t cd2 = cd + 46 + 5;  // the second central entry
  auto variant = [&](const std::string& bytes) {
    unirep::testing::write_bytes(dir.file("v.zip"), bytes);
    return dir.file("v.zip");
  };
  std::string s;

  EXPECT_TRUE(fails_with(variant(good.substr(0, 21)), "not a zip"));
  EXPECT_TRUE(fails_with(variant(good + "trailing"), "no end of central directory"));
  s = good;
  s[eocd + 10] = 50;  // 50 entries in a directory that has room for 2
  s[eocd + 8] = 50;
  EXPECT_TRUE(fails_with(variant(s), "claims 50 entries"));
  s = good;
  s.replace(eocd + 16, 4, std::string("\xff\xff\xff\x7f", 4));
  EXPECT_TRUE(fails_with(variant(s), "outside the file"));
  s = good;
  s[cd + 10] = 8;  // deflate
  EXPECT_TRUE(fails_with(variant(s), "compressed"));
  s = good;
  s[cd + 8] = 1;  // encrypted
  EXPECT_TRUE(fails_with(variant(s), "encrypted"));
  s = good;
  s[cd + 24] = 9;  // uncompressed size differs from compressed size
  EXPECT_TRUE(fails_with(variant(s), "inconsistent sizes"));
  s = good;
  s.replace(cd + 20, 8, std::string("\x00\x00\x00\x10\x00\x00\x00\x10", 8));  // 256 MiB entry
  EXPECT_TRUE(fails_with(variant(s), "runs past the end"));
  s = good;
  s.replace(cd2 + 42, 4, s.substr(cd + 42, 4));  // second entry points at the first's local header
  EXPECT_TRUE(fails_with(variant(s), "names a different file"));
  s = good;
  s.replace(cd2 + 46, 5, "a/one");  // same name twice (the local header then disagrees first)
  EXPECT_TRUE(fails_with(variant(s), "a/one"));
  s = good;
  s[cd2] = 'X';
  EXPECT_TRUE(fails_with(variant(s), "corrupt zip central directory"));
}

// Archives built by hand: local headers with data, then central entries that may lie about them.
class RawZip {
 public:
  size_t local(const std::string& name, const std::string& data) {
    const size_t at = z_.size();
    put(z_, 0x04034b50, 4);
    put(z_, 20, 2);
    put(z_, 0, 8);
    put(z_, unirep::io::crc32(data.data(), data.size()), 4);
    put(z_, data.size(), 4);
    put(z_, data.size(), 4);
    put(z_, name.size(), 2);
    put(z_, 0, 2);
    z_ += name + data;
    return at;
  }
  void central(const std::string& name, uint64_t size, uint64_t local_offset) {
    put(cd_, 0x02014b50, 4);
    put(cd_, 20, 2);
    put(cd_, 20, 2);
    put(cd_, 0, 8);
    put(cd_, 0, 4);  // CRC: only checked when an entry is read
    put(cd_, size, 4);
    put(cd_, size, 4);
    put(cd_, name.size(), 2);
    put(cd_, 0, 12);
    put(cd_, local_offset, 4);
    cd_ += name;
    ++count_;
  }
  std::string bytes() const {
    std::string out = z_ + cd_;
    put(out, 0x06054b50, 4);
    put(out, 0, 4);
    put(out, count_, 2);
    put(out, count_, 2);
    put(out, cd_.size(), 4);
    put(out, z_.size(), 4);
    put(out, 0, 2);
    return out;
  }

 private:
  std::string z_, cd_;
  int count_ = 0;
};

TEST(ZipArchive, OverlappingOrRepeatedEntriesAreRefused) {
  TempDir dir;
  const std::string data(64, 'x');
  {
    // Entry a claims 161 bytes: its own 64 and all of entry b's header and data.
    RawZip z;
    const size_t a = z.local("d/a", data), b = z.local("d/b", data);
    z.central("d/a", 64 + 30 + 3 + 64, a);
    z.central("d/b", 64, b);
    unirep::testing::write_bytes(dir.file("o.zip"), z.bytes());
    EXPECT_TRUE(fails_with(dir.file("o.zip"), "overlaps"));
  }
  {
    RawZip z;
    const size_t a = z.local("d/x", data), b = z.local("d/x", data);
    z.central("d/x", 64, a);
    z.central("d/x", 64, b);
    unirep::testing::write_bytes(dir.file("r.zip"), z.bytes());
    EXPECT_TRUE(fails_with(dir.file("r.zip"), "appears twice"));
  }
  {
    // The central directory's CRC is wrong for the data: found when the entry is read.
    RawZip z;
    z.central("d/x", 64, z.local("d/x", data));
    unirep::testing::write_bytes(dir.file("c.zip"), z.bytes());
    const ZipReader zip(dir.file("c.zip"));
    EXPECT_THROW(zip.read(zip.entries()[0]), FormatError);
  }
}

}  // namespace
