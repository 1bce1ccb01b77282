#include <unirep/io/format_error.h>
#include <unirep/io/npy.h>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "support/test_support.h"

#include <filesystem>

using unirep::io::FormatError;
using unirep::io::read_npy;
using unirep::io::write_npy;
using unirep::testing::read_bytes;
using unirep::testing::TempDir;
using unirep::testing::write_bytes;

TEST(Npy, RoundTripsEveryDtype) {
  TempDir tmp;
  for (auto type : {at::kFloat, at::kDouble, at::kLong, at::kInt, at::kByte, at::kBool, at::kHalf}) {
    auto t = (at::rand({2, 3, 5}) * 100).to(type);
    write_npy(tmp.file("t.npy"), t);
    auto back = read_npy(tmp.file("t.npy"));
    EXPECT_EQ(back.scalar_type(), type);
    EXPECT_TRUE(at::equal(back, t)) << at::toString(type);
  }
  // Scalars, 1-D, empty and non-contiguous inputs.
  for (auto t : {at::scalar_tensor(3.5), at::arange(7).to(at::kFloat), at::zeros({0, 4}), at::rand({4, 6}).t()}) {
    write_npy(tmp.file("u.npy"), t);
    auto back = read_npy(tmp.file("u.npy"));
    EXPECT_EQ(back.sizes(), t.sizes());
    EXPECT_TRUE(at::equal(back, t.to(back.scalar_type())));
  }
}

TEST(Npy, ReadsTheFixtures) {
  UNIREP_REQUIRE_FIXTURES();
  auto x = read_npy(unirep::testing::fixture("backbone/tiny_mono.input.npy"));
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{1, 1, 64, 48}));
  EXPECT_EQ(x.scalar_type(), at::kFloat);
  auto logits = read_npy(unirep::testing::fixture("backbone/unireplknet_a.logits.npy"));
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 1000}));
}

TEST(Npy, EveryTruncationIsAnError) {
  TempDir tmp;
  write_npy(tmp.file("t.npy"), at::rand({3, 4}));
  const auto bytes = read_bytes(tmp.file("t.npy"));
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    write_bytes(tmp.file("cut.npy"), bytes.substr(0, cut));
    EXPECT_THROW(read_npy(tmp.file("cut.npy")), FormatError) << "cut at " << cut;
  }
  write_bytes(tmp.file("long.npy"), bytes + "xx");
  EXPECT_THROW(read_npy(tmp.file("long.npy")), FormatError);
}

TEST(Npy, HostileHeadersAreRejectedWithTheFileName) {
  TempDir tmp;
  auto make = [&](const std::string& header, const std::string& data = std::string(8, '\0')) {
    std::string h = header;
    h.append((64 - (10 + h.size() + 1) % 64) % 64, ' ');
    h.push_back('\n');
    std::string f = "\x93NUMPY";
    f.push_back(1);
    f.push_back(0);
    f.push_back(static_cast<char>(h.size() & 0xff));
    f.push_back(static_cast<char>(h.size() >> 8));
    write_bytes(tmp.file("h.npy"), f + h + data);
    return tmp.file("h.npy");
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", "unsupported dtype"},
      {"{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", "unsupported dtype"},
      {"{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", "Fortran"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999999), }", "too large"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", "non-negative"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }", "truncated"},
      {"{'descr': '<f4', 'shape': (2,), }", "missing"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'evil': 1}", "unknown key"},
      {"garbage", "expected '{'"},
      {"{'descr': '<f4, 'fortran_order': False, 'shape': (2,), }", "bad .npy header"},
      {"{'descr': 'O', 'fortran_order': False, 'shape': (2,), }", "unsupported dtype"},
  };
  for (const auto& [header, expect] : cases) {
    const auto path = make(header);
    try {
      read_npy(path);
      ADD_FAILURE() << "accepted " << header;
    } catch (const FormatError& e) {
      EXPECT_EQ(e.path(), path);
      EXPECT_NE(std::string(e.what()).find(expect), std::string::npos) << e.what() << " (wanted '" << expect << "')";
    }
  }
  write_bytes(tmp.file("magic.npy"), "\x93NUMPX\x01\x00\x10\x00{}              ");
  EXPECT_THROW(read_npy(tmp.file("magic.npy")), FormatError);
  std::string v9 = "\x93NUMPY";
  v9 += '\x09';
  v9 += std::string(20, '\0');
  write_bytes(tmp.file("v9.npy"), v9);
  EXPECT_THROW(read_npy(tmp.file("v9.npy")), FormatError);
  EXPECT_THROW(read_npy(tmp.file("does-not-exist.npy")), FormatError);
  EXPECT_THROW(read_npy(tmp.path()), FormatError);  // a directory
}

TEST(Npy, FailedWriteLeavesNothingAndKeepsTheOldFile) {
  TempDir tmp;
  EXPECT_THROW(write_npy(tmp.file("missing/dir/t.npy"), at::rand({2})), FormatError);
  const auto target = tmp.file("keep.npy");
  write_npy(target, at::ones({3}));
  const auto before = read_bytes(target);
  EXPECT_THROW(write_npy(target, at::rand({2}, at::kComplexFloat)), FormatError);
  EXPECT_EQ(read_bytes(target), before);
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(tmp.path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1) << "no temporary file may be left behind";
}

TEST(Npy, PythonNumpyReadsWhatWeWrite) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) GTEST_SKIP() << "python3-numpy not installed";
  TempDir tmp;
  auto t = at::arange(24, at::kFloat).reshape({2, 3, 4});
  write_npy(tmp.file("t.npy"), t);
  const std::string cmd = "/usr/bin/python3 -c \"import numpy as np; a = np.load('" + tmp.file("t.npy") +
                          "'); assert a.shape == (2, 3, 4) and a.dtype == np.float32 and a[1, 2, 3] == 23, a\"";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}
