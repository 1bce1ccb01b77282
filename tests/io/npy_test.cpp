// .npy reading and writing: the fixtures, every dtype both ways (and through NumPy when present),
// and strict refusal of malformed headers, truncation and trailing bytes.
#include "models/io/format_error.h"
#include "models/io/npy.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <numeric>

#include "io/io_test_helpers.h"
#include "support/test_support.h"

namespace {

using unirep::io::FormatError;
using unirep::io::read_npy;
using unirep::io::write_npy;
using unirep::testing::fixture;
using unirep::testing::TempDir;

::testing::AssertionResult fails_with(const std::string& path, const std::string& expected) {
  try {
    read_npy(path);
  } catch (const FormatError& e) {
    if (std::string(e.what()).find(expected) == std::string::npos)
      return ::testing::AssertionFailure() << "error '" << e.what() << "' does not mention '" << expected << "'";
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw a non-FormatError: " << e.what();
  }
  return ::testing::AssertionFailure() << "read succeeded";
}

// A .npy file of the given version with a raw header text (padded like NumPy) and data.
std::string npy_bytes(const std::string& dict, const std::string& data, int major = 1) {
  const size_t pre = major == 1 ? 10 : 12;
  std::string header = dict;
  header.append((64 - (pre + header.size() + 1) % 64) % 64, ' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back(static_cast<char>(major));
  out.push_back(0);
  for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i)
    out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  return out + header + data;
}

std::string write_file(const TempDir& dir, const std::string& bytes) {
  const std::string path = dir.file("t.npy");
  unirep::testing::write_bytes(path, bytes);
  return path;
}

TEST(NpyFixtures, ReadsInputsAndOutputs) {
  UNIREP_REQUIRE_FIXTURES();
  const auto input = read_npy(fixture("backbone/tiny_mono.input.npy"));
  EXPECT_EQ(input.scalar_type(), at::kFloat);
  EXPECT_EQ(input.sizes(), (at::IntArrayRef{1, 1, 64, 48}));
  EXPECT_TRUE(input.is_contiguous());
  EXPECT_TRUE(at::isfinite(input).all().item<bool>());
  EXPECT_EQ(read_npy(fixture("backbone/unireplknet_a.input.npy")).sizes(), (at::IntArrayRef{2, 3, 224, 224}));
  EXPECT_EQ(read_npy(fixture("backbone/unireplknet_a.logits.npy")).sizes(), (at::IntArrayRef{2, 1000}));
  // The audio inputs are stored in Fortran order.
  const auto audio = read_npy(fixture("audio/yes_16k.input.npy"));
  EXPECT_EQ(audio.sizes(), (at::IntArrayRef{1, 128, 128}));
  EXPECT_TRUE(audio.is_contiguous());
}

TEST(NpyFixtures, WritingAFixtureBackIsByteIdentical) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir dir;
  const std::string src = fixture("backbone/tiny_mono.logits.npy");
  write_npy(dir.file("copy.npy"), read_npy(src));
  EXPECT_EQ(unirep::testing::read_bytes(dir.file("copy.npy")), unirep::testing::read_bytes(src));
}

TEST(NpyRoundTrip, EveryDtypeAndShape) {
  TempDir dir;
  const std::vector<at::Tensor> cases = {
      at::randn({2, 3}),
      at::randn({4}, at::kDouble),
      at::randn({3, 1}).to(at::kHalf),
      at::tensor({int64_t{-7}, int64_t{1} << 60}),
      at::tensor({1, -2, 3}, at::kInt),
      at::tensor({0, 255}, at::kByte),
      at::tensor({-128, 127}, at::kChar),
      at::tensor({1, 0}).to(at::kBool),
      at::scalar_tensor(1.25),
      at::empty({0, 5}),
      at::arange(12, at::kFloat).reshape({3, 4}).t(),  // written contiguous
      at::randn({1, 1, 1, 1, 1, 2}),
  };
  for (const auto& t : cases) {
    const std::string path = dir.file("rt.npy");
    write_npy(path, t);
    // The data starts on a 64-byte boundary, as NumPy lays it out.
    EXPECT_EQ((unirep::testing::read_bytes(path).size() - t.numel() * t.element_size()) % 64, 0u);
    const auto back = read_npy(path);
    EXPECT_EQ(back.scalar_type(), t.scalar_type());
    EXPECT_EQ(back.sizes(), t.sizes());
    EXPECT_TRUE(at::equal(back, t)) << t.scalar_type();
  }
}

TEST(NpyRoundTrip, UnsupportedDtypeIsRefusedBeforeWriting) {
  TempDir dir;
  EXPECT_THROW(write_npy(dir.file("c.npy"), at::ones({2}, at::kComplexFloat)), FormatError);
  EXPECT_THROW(write_npy(dir.file("b.npy"), at::ones({2}, at::kBFloat16)), FormatError);
  EXPECT_FALSE(unirep::testing::file_exists(dir.file("c.npy")));
}

TEST(NpyRoundTrip, AtomicWrites) {
  TempDir dir;
  EXPECT_THROW(write_npy(dir.file("nodir/x.npy"), at::ones({2})), FormatError);
  EXPECT_FALSE(unirep::testing::file_exists(dir.file("nodir")));
  // A directory in the way: the rename fails and the temporary file is cleaned up.
  ASSERT_EQ(mkdir(dir.file("taken.npy").c_str(), 0755), 0);
  EXPECT_THROW(write_npy(dir.file("taken.npy"), at::ones({2})), FormatError);
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) entries += e.path().filename() != "taken.npy";
  EXPECT_EQ(entries, 0u);
}

TEST(NpyVersions, ReadsVersion2And3) {
  TempDir dir;
  const std::string data = unirep::io_test::floats_bytes({1, 2, 3});
  for (int major : {2, 3}) {
    const auto t =
        read_npy(write_file(dir, npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", data, major)));
    EXPECT_TRUE(at::equal(t, at::tensor({1.f, 2.f, 3.f}))) << major;
  }
  EXPECT_TRUE(fails_with(
      write_file(dir, npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", data, 4)), "version 4.0"));
}

TEST(NpyVersions, FortranOrderIsTransposedIntoCOrder) {
  TempDir dir;
  // Fortran order: element [i][j] of a 2 x 3 array is stored at i + 2 * j.
  const auto t = read_npy(write_file(dir, npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                                                    unirep::io_test::floats_bytes({1, 2, 3, 4, 5, 6}))));
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_TRUE(at::equal(t, at::tensor({1.f, 3.f, 5.f, 2.f, 4.f, 6.f}).reshape({2, 3})));
  const auto v = read_npy(write_file(dir, npy_bytes("{'descr': '<i8', 'fortran_order': True, 'shape': (2,), }",
                                                    std::string("\x07\0\0\0\0\0\0\0\x08\0\0\0\0\0\0\0", 16))));
  EXPECT_TRUE(at::equal(v, at::tensor({int64_t{7}, int64_t{8}})));
}

TEST(NpyVersions, HeaderSpellingsNumPyAccepts) {
  TempDir dir;
  const std::string data = unirep::io_test::floats_bytes({1, 2, 3, 4, 5, 6});
  // Key order, quoting, spacing, no trailing comma, Python 2 long suffix.
  for (const char* dict : {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                           "{\"shape\": (2,3), \"fortran_order\": False, \"descr\": \"<f4\"}",
                           "{'descr':'<f4','fortran_order':False,'shape':(2L, 3L)}"}) {
    const auto t = read_npy(write_file(dir, npy_bytes(dict, data)));
    EXPECT_EQ(t.sizes(), (at::IntArrayRef{2, 3})) << dict;
  }
}

TEST(NpyHostile, MalformedHeaders) {
  TempDir dir;
  const std::string d = unirep::io_test::floats_bytes({1, 2});
  auto header = [&](const std::string& dict) { return write_file(dir, npy_bytes(dict, d)); };
  EXPECT_TRUE(
      fails_with(header("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }"), "unsupported dtype '>f4'"));
  EXPECT_TRUE(fails_with(header("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }"), "unsupported dtype"));
  EXPECT_TRUE(
      fails_with(header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }"), "quoted string"));
  EXPECT_TRUE(fails_with(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}"), "unknown key 'x'"));
  EXPECT_TRUE(fails_with(header("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}"), "twice"));
  EXPECT_TRUE(fails_with(header("{'descr': '<f4', 'shape': (2,)}"), "missing"));
  EXPECT_TRUE(fails_with(header("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}"), "True or False"));
  EXPECT_TRUE(fails_with(header("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}"), "non-negative"));
  EXPECT_TRUE(fails_with(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}"), "(n,)"));
  EXPECT_TRUE(fails_with(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk"), "after the dict"));
  EXPECT_TRUE(
      fails_with(header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}"), "too large"));
  EXPECT_TRUE(fails_with(
      header("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296)}"), "too large"));
  EXPECT_TRUE(fails_with(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,"), "expected"));
  EXPECT_TRUE(fails_with(header("{'descr': '<f4"), "unterminated"));
}

TEST(NpyHostile, SizesMustMatchExactly) {
  TempDir dir;
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  EXPECT_TRUE(fails_with(write_file(dir, npy_bytes(dict, std::string(7, '\0'))), "(truncated)"));
  EXPECT_TRUE(fails_with(write_file(dir, npy_bytes(dict, std::string(9, '\0'))), "(trailing bytes)"));
  EXPECT_TRUE(fails_with(
      write_file(dir, npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000), }", "")),
      "truncated"));
  EXPECT_TRUE(fails_with(
      write_file(dir, npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", "\x01\x02")), "bool"));
}

TEST(NpyHostile, MagicAndLengths) {
  TempDir dir;
  EXPECT_TRUE(fails_with(write_file(dir, ""), "too short"));
  EXPECT_TRUE(fails_with(write_file(dir, std::string("\x93NUMPZ\x01\x00\x02\x00{}", 12)), "wrong magic"));
  EXPECT_TRUE(fails_with(write_file(dir, std::string("\x93NUMPY\x01\x00\xff\xff", 10) + "{}"), "truncated"));
  EXPECT_TRUE(fails_with(write_file(dir, std::string("\x93NUMPY\x02\x00\xff\xff\xff\x7f", 12)), "absurd"));
  EXPECT_TRUE(fails_with(write_file(dir, std::string("\x93NUMPY\x02\x00\x10\x00", 10)), "truncated"));
  EXPECT_TRUE(fails_with(dir.file("missing.npy"), "cannot open"));
}

TEST(NpyHostile, EveryTruncationOfAFixtureFails) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir dir;
  const std::string whole = unirep::testing::read_bytes(fixture("backbone/tiny_mono.stage3.npy"));
  const std::string path = dir.file("t.npy");
  std::vector<size_t> all(whole.size());
  std::iota(all.begin(), all.end(), size_t{0});
  unirep::io_test::for_each_prefix(path, whole, all, [&](size_t n) { EXPECT_TRUE(fails_with(path, "")) << n; });
  // Flipped header bytes: a value or a FormatError, nothing else.
  all.resize(128);
  for (unsigned char mask : {0x01, 0x21, 0x80}) {
    unirep::io_test::for_each_flip(path, whole, all, mask, [&](size_t i) {
      try {
        read_npy(path);
      } catch (const FormatError&) {
      } catch (const std::exception& e) {
        ADD_FAILURE() << "flip at " << i << ": " << e.what();
      }
    });
  }
}

TEST(NpyPython, NumPyAndWeAgree) {
  UNIREP_REQUIRE_PYTHON_TORCH();
  TempDir dir;
  // Ours -> NumPy.
  write_npy(dir.file("ours_f4.npy"), at::arange(6, at::kFloat).reshape({2, 3}) / 4);
  write_npy(dir.file("ours_b1.npy"), at::tensor({1, 0}).to(at::kBool));
  write_npy(dir.file("ours_i8.npy"), at::tensor({int64_t{-3}, int64_t{1} << 40}));
  write_npy(dir.file("ours_scalar.npy"), at::scalar_tensor(2.0, at::kDouble));
  const auto r = unirep::io_test::run_python(R"(
import sys, numpy as np
d = sys.argv[1]
a = np.load(d + '/ours_f4.npy'); assert a.dtype == np.float32 and (a == np.arange(6, dtype=np.float32).reshape(2, 3) / 4).all()
assert np.load(d + '/ours_b1.npy').tolist() == [True, False]
assert np.load(d + '/ours_i8.npy').tolist() == [-3, 1 << 40]
s = np.load(d + '/ours_scalar.npy'); assert s.shape == () and s.dtype == np.float64 and s == 2.0
np.save(d + '/np_f2.npy', np.array([[0.5, -1], [2, 3]], dtype='<f2'))
np.save(d + '/np_u1.npy', np.array([1, 250], dtype=np.uint8))
np.save(d + '/np_i4.npy', np.array([[-5]], dtype=np.int32))
np.save(d + '/np_f8.npy', np.zeros((0, 3)))
np.lib.format.write_array(open(d + '/np_v2.npy', 'wb'), np.ones(3, dtype=np.float32), version=(2, 0))
np.save(d + '/np_fortran.npy', np.arange(24, dtype=np.float32).reshape(2, 3, 4).T)
print('ok')
)",
                                             {dir.path()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // NumPy -> ours.
  EXPECT_TRUE(
      at::equal(read_npy(dir.file("np_f2.npy")), at::tensor({0.5f, -1.f, 2.f, 3.f}).reshape({2, 2}).to(at::kHalf)));
  EXPECT_TRUE(at::equal(read_npy(dir.file("np_u1.npy")), at::tensor({1, 250}, at::kByte)));
  EXPECT_TRUE(at::equal(read_npy(dir.file("np_i4.npy")), at::tensor({-5}, at::kInt).reshape({1, 1})));
  EXPECT_EQ(read_npy(dir.file("np_f8.npy")).sizes(), (at::IntArrayRef{0, 3}));
  EXPECT_TRUE(at::equal(read_npy(dir.file("np_v2.npy")), at::ones({3})));
  EXPECT_TRUE(at::equal(read_npy(dir.file("np_fortran.npy")),
                        at::arange(24, at::kFloat).reshape({2, 3, 4}).permute({2, 1, 0})));
}

}  // namespace
