#include <unirep/io/format_error.h>
#include <unirep/io/safetensors.h>
#include <unirep/io/torch_checkpoint.h>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "support/test_support.h"

using unirep::io::FormatError;
using unirep::io::read_safetensors;
using unirep::io::write_safetensors;
using unirep::testing::read_bytes;
using unirep::testing::TempDir;
using unirep::testing::write_bytes;

namespace {
// A file from a JSON header and a data area.
std::string make(const TempDir& tmp, const std::string& json, const std::string& data) {
  std::string f;
  for (int i = 0; i < 8; ++i) f.push_back(static_cast<char>((json.size() >> (8 * i)) & 0xff));
  write_bytes(tmp.file("t.safetensors"), f + json + data);
  return tmp.file("t.safetensors");
}
}  // namespace

TEST(Safetensors, RoundTripWithMetadata) {
  TempDir tmp;
  unirep::io::NamedTensors in = {{"b.weight", at::rand({3, 4})},
                                 {"a.ids", at::arange(5)},
                                 {"half", at::rand({2}).to(at::kHalf)},
                                 {"bf", at::rand({2, 2}).to(at::kBFloat16)},
                                 {"mask", at::rand({3}) > 0.5},
                                 {"empty", at::zeros({0, 3})},
                                 {"strided", at::rand({4, 4}).t()}};
  write_safetensors(tmp.file("m.safetensors"), in, {{"format", "pt"}, {"note", "unirep"}});
  unirep::io::Metadata meta;
  auto out = read_safetensors(tmp.file("m.safetensors"), &meta);
  EXPECT_EQ(meta.at("format"), "pt");
  EXPECT_EQ(meta.at("note"), "unirep");
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].name, in[i].name);  // written in list order, read in offset order
    EXPECT_TRUE(at::equal(out[i].tensor, in[i].tensor)) << in[i].name;
  }
  // The header is padded so that the data area starts on an 8-byte boundary.
  const auto bytes = read_bytes(tmp.file("m.safetensors"));
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | static_cast<unsigned char>(bytes[i]);
  EXPECT_EQ((8 + header_size) % 8, 0u);
  EXPECT_THROW(write_safetensors(tmp.file("d.safetensors"), {{"x", at::ones(1)}, {"x", at::ones(1)}}), FormatError);
}

TEST(Safetensors, FixtureEqualsTheDeployCheckpoint) {
  UNIREP_REQUIRE_FIXTURES();
  auto st = read_safetensors(unirep::testing::fixture("backbone/tiny_mono.deploy.safetensors"));
  auto pth = unirep::io::read_torch_checkpoint(unirep::testing::fixture("backbone/tiny_mono.deploy.pth"));
  size_t matched = 0;
  for (const auto& nt : st) {
    const auto* v = pth.find(nt.name);
    ASSERT_NE(v, nullptr) << nt.name;
    EXPECT_TRUE(at::equal(v->as_tensor(), nt.tensor)) << nt.name;
    ++matched;
  }
  EXPECT_EQ(matched, pth.dict_items().size());
}

TEST(Safetensors, HostileFilesAreRejected) {
  TempDir tmp;
  const std::string eight(8, '\0');
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", std::string(4, '\0'), "outside"},
      {R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", eight, "need 12 bytes"},
      {R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}})", eight, "overlaps"},
      {R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", eight, "hole"},
      {R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", eight, "not described"},
      {R"({"a": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}})", eight, "unsupported dtype"},
      {R"({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 8]}})", eight, "non-negative"},
      {R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], "data_offsets": [0, 8]}})", eight, "too large"},
      {R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}})", eight, "outside"},
      {R"({"a": {"dtype": "F32", "shape": [2]}})", eight, "needs dtype"},
      {R"({"a": 3})", eight, "needs dtype"},
      {R"({"__metadata__": {"k": 1}})", "", "not a string"},
      {R"({"a": {"dtype": "F32", )", eight, "not valid JSON"},
      {R"([1, 2])", "", "not a JSON object"},
  };
  for (const auto& [json, data, expect] : cases) {
    const auto path = make(tmp, json, data);
    try {
      read_safetensors(path);
      ADD_FAILURE() << "accepted " << json;
    } catch (const FormatError& e) {
      EXPECT_EQ(e.path(), path);
      EXPECT_NE(std::string(e.what()).find(expect), std::string::npos) << e.what() << " (wanted '" << expect << "')";
    }
  }
  // Header size larger than the file, and absurd.
  std::string absurd(8, '\xff');
  write_bytes(tmp.file("absurd.safetensors"), absurd + "{}");
  EXPECT_THROW(read_safetensors(tmp.file("absurd.safetensors")), FormatError);
  write_bytes(tmp.file("short.safetensors"), "abc");
  EXPECT_THROW(read_safetensors(tmp.file("short.safetensors")), FormatError);
}

TEST(Safetensors, EveryTruncationIsAnError) {
  TempDir tmp;
  write_safetensors(tmp.file("t.safetensors"), {{"w", at::rand({4, 3})}, {"b", at::rand({3})}});
  const auto bytes = read_bytes(tmp.file("t.safetensors"));
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    write_bytes(tmp.file("cut.safetensors"), bytes.substr(0, cut));
    EXPECT_THROW(read_safetensors(tmp.file("cut.safetensors")), FormatError) << "cut at " << cut;
  }
}
