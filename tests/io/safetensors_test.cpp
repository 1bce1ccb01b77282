// safetensors: the fixture against its .pth twin, round trips, and strict header validation.
#include "models/io/format_error.h"
#include "models/io/safetensors.h"
#include "models/io/torch_checkpoint.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <numeric>

#include "io/io_test_helpers.h"

#include "support/test_support.h"

namespace {

using unirep::io::FormatError;
using unirep::io::Metadata;
using unirep::io::NamedTensors;
using unirep::io::read_safetensors;
using unirep::io::write_safetensors;
using unirep::testing::fixture;
using unirep::testing::TempDir;

::testing::AssertionResult fails_with(const std::string& path, const std::string& expected) {
  try {
    read_safetensors(path);
  } catch (const FormatError& e) {
    if (std::string(e.what()).find(expected) == std::string::npos)
      return ::testing::AssertionFailure() << "error '" << e.what() << "' does not mention '" << expected << "'";
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw a non-FormatError: " << e.what();
  }
  return ::testing::AssertionFailure() << "read succeeded";
}

// A file from a header (JSON text, padded to 8 bytes) and a data area.
std::string file_with(const TempDir& dir, const std::string& json, const std::string& data) {
  std::string header = json;
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  const std::string path = dir.file("t.safetensors");
  unirep::testing::write_bytes(path, bytes + header + data);
  return path;
}

TEST(SafetensorsFixture, EqualsTheDeployCheckpointExactly) {
  UNIREP_REQUIRE_FIXTURES();
  Metadata meta;
  const NamedTensors st = read_safetensors(fixture("backbone/tiny_mono.deploy.safetensors"), &meta);
  const auto pth = unirep::io::read_torch_checkpoint(fixture("backbone/tiny_mono.deploy.pth"));
  ASSERT_EQ(st.size(), pth.dict_items().size());
  EXPECT_EQ(st.size(), 79u);
  for (const auto& nt : st) {
    const auto* ref = pth.find(nt.name);
    ASSERT_NE(ref, nullptr) << nt.name;
    const at::Tensor& want = ref->as_tensor();
    EXPECT_EQ(nt.tensor.scalar_type(), want.scalar_type()) << nt.name;
    EXPECT_EQ(nt.tensor.sizes(), want.sizes()) << nt.name;
    EXPECT_TRUE(at::equal(nt.tensor, want)) << nt.name;
  }
}

TEST(SafetensorsFixture, TensorsComeInDataOffsetOrder) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir dir;
  const std::string path = fixture("backbone/tiny_mono.deploy.safetensors");
  const NamedTensors st = read_safetensors(path);
  // Writing them back in that order reproduces the data area byte for byte.
  write_safetensors(dir.file("copy.safetensors"), st);
  const std::string a = unirep::testing::read_bytes(path),
                    b = unirep::testing::read_bytes(dir.file("copy.safetensors"));
  auto data_of = [](const std::string& s) {
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(s[i]);
    return s.substr(8 + n);
  };
  EXPECT_EQ(data_of(a), data_of(b));
}

TEST(SafetensorsWrite, RoundTripsEveryDtypeAndMetadata) {
  TempDir dir;
  const std::string path = dir.file("all.safetensors");
  NamedTensors tensors = {
      {"f32", at::randn({3, 4})},
      {"f64", at::randn({2}, at::kDouble)},
      {"f16", at::randn({5}).to(at::kHalf)},
      {"bf16", at::randn({5}).to(at::kBFloat16)},
      {"i64", at::tensor({int64_t{-1}, int64_t{1} << 50})},
      {"i32", at::tensor({1, -2, 3}, at::kInt)},
      {"i16", at::tensor({1, -2}, at::kShort)},
      {"i8", at::tensor({-128, 127}, at::kChar)},
      {"u8", at::tensor({0, 255}, at::kByte)},
      {"bool", at::tensor({1, 0, 1}).to(at::kBool)},
      {"scalar", at::scalar_tensor(2.5)},
      {"empty", at::empty({0, 7})},
      {"noncontiguous", at::arange(12, at::kFloat).reshape({3, 4}).t()},
  };
  const Metadata meta = {{"format", "pt"}, {"note", "h\xc3\xa9llo \"quoted\""}};
  write_safetensors(path, tensors, meta);
  // The header length is a multiple of 8.
  const std::string bytes = unirep::testing::read_bytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  EXPECT_EQ(n % 8, 0u);
  Metadata back_meta;
  const NamedTensors back = read_safetensors(path, &back_meta);
  EXPECT_EQ(back_meta, meta);
  EXPECT_EQ(unirep::io::read_safetensors_metadata(path), meta);  // the header alone gives the same
  ASSERT_EQ(back.size(), tensors.size());
  for (size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i].name, tensors[i].name);
    EXPECT_EQ(back[i].tensor.scalar_type(), tensors[i].tensor.scalar_type()) << back[i].name;
    EXPECT_EQ(back[i].tensor.sizes(), tensors[i].tensor.sizes()) << back[i].name;
    EXPECT_TRUE(at::equal(back[i].tensor, tensors[i].tensor)) << back[i].name;
  }
}

TEST(SafetensorsWrite, RefusesDuplicatesAndUnsupportedDtypes) {
  TempDir dir;
  const std::string path = dir.file("x.safetensors");
  EXPECT_THROW(write_safetensors(path, {{"a", at::ones({1})}, {"a", at::ones({1})}}), FormatError);
  EXPECT_THROW(write_safetensors(path, {{"__metadata__", at::ones({1})}}), FormatError);
  EXPECT_THROW(write_safetensors(path, {{"c", at::ones({1}, at::kComplexFloat)}}), FormatError);
  EXPECT_FALSE(unirep::testing::file_exists(path));
  EXPECT_THROW(write_safetensors(dir.file("no/such/dir.safetensors"), {{"a", at::ones({1})}}), FormatError);
  EXPECT_FALSE(unirep::testing::file_exists(dir.file("no")));
}

TEST(SafetensorsWrite, EmptyFileIsValid) {
  TempDir dir;
  write_safetensors(dir.file("e.safetensors"), {});
  EXPECT_TRUE(read_safetensors(dir.file("e.safetensors")).empty());
}

uint64_t header_size_of(const std::string& bytes) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  return n;
}

TEST(SafetensorsHostile, EveryTruncationIsAFormatError) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir dir;
  const std::string whole = unirep::testing::read_bytes(fixture("backbone/tiny_mono.deploy.safetensors"));
  const uint64_t data_start = 8 + header_size_of(whole);
  // Every cut through the header and the first tensors, a stride through the rest, the last bytes.
  std::vector<size_t> cuts;
  for (size_t n = 0; n < whole.size(); n += (n < data_start + 256 || n + 64 > whole.size()) ? 1 : 509)
    cuts.push_back(n);
  const std::string path = dir.file("cut.safetensors");
  unirep::io_test::for_each_prefix(path, whole, cuts,
                                   [&](size_t n) { EXPECT_TRUE(fails_with(path, "")) << "cut at " << n; });
}

TEST(SafetensorsHostile, FlippedHeaderBytesNeverCrash) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir dir;
  const std::string whole = unirep::testing::read_bytes(fixture("backbone/tiny_mono.deploy.safetensors"));
  std::vector<size_t> positions(8 + header_size_of(whole));
  std::iota(positions.begin(), positions.end(), size_t{0});
  const std::string path = dir.file("flip.safetensors");
  for (unsigned char mask : {0x01, 0x20, 0x80}) {
    unirep::io_test::for_each_flip(path, whole, positions, mask, [&](size_t i) {
      try {
        read_safetensors(path);
      } catch (const FormatError&) {
      } catch (const std::exception& e) {
        ADD_FAILURE() << "flip at " << i << ": " << e.what();
      }
    });
  }
}

TEST(SafetensorsHostile, SizesAndJson) {
  TempDir dir;
  const std::string path = dir.file("bad.safetensors");
  unirep::testing::write_bytes(path, "1234567");
  EXPECT_TRUE(fails_with(path, "shorter than"));
  unirep::testing::write_bytes(path, std::string("\xff\xff\xff\xff\xff\xff\xff\xff{}", 10));
  EXPECT_TRUE(fails_with(path, "exceeds"));
  std::string big(8, '\0');
  big[3] = 0x10;  // 256 MiB header in a tiny file
  unirep::testing::write_bytes(path, big + "{}");
  EXPECT_TRUE(fails_with(path, "exceeds"));
  EXPECT_TRUE(fails_with(file_with(dir, "{\"a\": ", ""), "not valid JSON"));
  EXPECT_TRUE(fails_with(file_with(dir, "[1, 2]", ""), "start with '{'"));
  EXPECT_TRUE(fails_with(file_with(dir, "{} x", ""), "not valid JSON"));
  EXPECT_TRUE(fails_with(file_with(dir, "{\"a\": 1}", ""), "needs dtype, shape and data_offsets"));
}

TEST(SafetensorsHostile, EntryFields) {
  TempDir dir;
  const std::string d8(8, '\0');
  auto entry = [&](const std::string& fields) { return file_with(dir, "{\"t\": {" + fields + "}}", d8); };
  EXPECT_TRUE(fails_with(entry(R"("dtype": "F32", "shape": [2])"), "needs dtype"));
  EXPECT_TRUE(fails_with(entry(R"("dtype": 5, "shape": [2], "data_offsets": [0, 8])"), "dtype must be a string"));
  EXPECT_TRUE(fails_with(entry(R"("dtype": "C64", "shape": [1], "data_offsets": [0, 8])"), "unsupported dtype 'C64'"));
  EXPECT_TRUE(fails_with(entry(R"("dtype": "F32", "shape": [-2], "data_offsets": [0, 8])"), "non-negative"));
  EXPECT_TRUE(fails_with(entry(R"("dtype": "F32", "shape": [2.0], "data_offsets": [0, 8])"), "non-negative"));
  EXPECT_TRUE(fails_with(entry(R"("dtype": "F32", "shape": "2", "data_offsets": [0, 8])"), "shape must be a list"));
  EXPECT_TRUE(fails_with(
      entry(R"("dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], "data_offsets": [0, 8])"), "too large"));
  EXPECT_TRUE(fails_with(entry(R"("dtype": "F32", "shape": [2], "data_offsets": [0])"), "two non-negative"));
  EXPECT_TRUE(fails_with(entry(R"("dtype": "F32", "shape": [2], "data_offsets": [8, 0])"), "outside"));
  EXPECT_TRUE(fails_with(entry(R"("dtype": "F32", "shape": [2], "data_offsets": [0, 16])"), "outside"));
  EXPECT_TRUE(fails_with(entry(R"("dtype": "F32", "shape": [3], "data_offsets": [0, 8])"), "need 12 bytes"));
  EXPECT_TRUE(
      fails_with(file_with(dir, R"({"t": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}})", "\x01\x02"),
                 "holds bool values"));
  EXPECT_TRUE(fails_with(file_with(dir, R"({"__metadata__": {"a": 1}})", ""), "not a string"));
  EXPECT_TRUE(fails_with(file_with(dir, R"({"__metadata__": [1]})", ""), "must be an object"));
}

TEST(SafetensorsHostile, TensorsMustTileTheDataArea) {
  TempDir dir;
  const std::string d16(16, '\0');
  auto two = [&](const std::string& a, const std::string& b, const std::string& data) {
    return file_with(dir,
                     R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": )" + a +
                         R"(}, "b": {"dtype": "F32", "shape": [2], "data_offsets": )" + b + "}}",
                     data);
  };
  EXPECT_TRUE(fails_with(two("[0, 8]", "[4, 12]", d16), "overlaps"));
  EXPECT_TRUE(fails_with(two("[0, 8]", "[0, 8]", d16), "overlaps"));
  EXPECT_TRUE(fails_with(two("[0, 8]", "[12, 20]", std::string(20, '\0')), "hole"));
  EXPECT_TRUE(fails_with(two("[0, 8]", "[8, 16]", std::string(20, '\0')), "after the last tensor"));
  EXPECT_TRUE(fails_with(
      file_with(
          dir,
          R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}})",
          d16),
      "appears twice"));
  // Out of order in the header is fine; the result follows the data offsets.
  const auto v = read_safetensors(two("[8, 16]", "[0, 8]", d16));
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].name, "b");
  EXPECT_EQ(v[1].name, "a");
}

}  // namespace
