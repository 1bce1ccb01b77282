// read_input_bytes, the bounded whole-file reader every point-cloud, image and CSV reader goes
// through (docs/points.md, Limits): regular files, the size limit (refused from the size, before
// reading), /dev/zero and a writer that never stops (cut off at the limit), a FIFO with no writer
// (refused after the wait), standard input, and the messages for directories, missing files,
// dangling links and link loops. Then read_point_file on the same hostile paths.
#include "modalities/input/input_file.h"
#include "modalities/points/point_file.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <thread>

#include "support/test_support.h"

namespace {
using unirep::testing::TempDir;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

unirep::modalities::InputLimits limits(uint64_t max_bytes, double wait_s = 10) {
  unirep::modalities::InputLimits l;
  l.max_bytes = max_bytes;
  l.writer_wait_s = wait_s;
  return l;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Opens `path` for writing once a reader has it open (retrying without blocking), writes `bytes`
// and closes it.
void write_when_read(const std::string& path, const std::string& bytes) {
  signal(SIGPIPE, SIG_IGN);
  int fd = -1;
  for (int i = 0; i < 500 && fd < 0; ++i) {
    fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd < 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (fd < 0) return;
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
}

TEST(InputFile, ReadsRegularFilesWhole) {
  TempDir d;
  std::string bytes(100000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  unirep::testing::write_bytes(d.file("a.bin"), bytes);
  EXPECT_EQ(unirep::modalities::read_input_bytes(d.file("a.bin")), bytes);
  EXPECT_EQ(unirep::modalities::read_input_bytes(d.file("a.bin"), limits(bytes.size())),
            bytes);  // exactly the limit passes
  unirep::testing::write_bytes(d.file("empty"), "");
  EXPECT_EQ(unirep::modalities::read_input_bytes(d.file("empty")), "");
}

TEST(InputFile, RegularFileOverTheLimitIsRefusedFromItsSize) {
  TempDir d;
  // 64 GiB that take no disk: read, it would take minutes and all memory; refused at once.
  const std::string sparse = d.file("sparse.bin");
  const int fd = ::open(sparse.c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 64ll << 30), 0);
  ::close(fd);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(error_of([&] { unirep::modalities::read_input_bytes(sparse); }),
            sparse + ": the file is 68719476736 bytes, more than the limit of 268435456 bytes (256 MiB)");
  EXPECT_LT(seconds_since(start), 1.0);
  unirep::testing::write_bytes(d.file("small.bin"), std::string(101, 'x'));
  EXPECT_EQ(error_of([&] { unirep::modalities::read_input_bytes(d.file("small.bin"), limits(100)); }),
            d.file("small.bin") + ": the file is 101 bytes, more than the limit of 100 bytes");
}

TEST(InputFile, DevZeroIsCutOffAtTheLimit) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(error_of([] { unirep::modalities::read_input_bytes("/dev/zero", limits(1 << 20)); }),
            "/dev/zero: is not a regular file and gave more than the limit of 1048576 bytes (1 MiB) without ending");
  EXPECT_LT(seconds_since(start), 5.0);
  EXPECT_EQ(unirep::modalities::read_input_bytes("/dev/null"), "");
}

TEST(InputFile, FifoWithoutWriterIsRefusedAfterTheWait) {
  TempDir d;
  const std::string fifo = d.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(error_of([&] { unirep::modalities::read_input_bytes(fifo, limits(1 << 20, 0.5)); }),
            fifo + ": no data came within 0.5 s (a FIFO or pipe with no writer?)");
  const double took = seconds_since(start);
  EXPECT_GE(took, 0.45);
  EXPECT_LT(took, 5.0);
}

TEST(InputFile, FifoWithAWriterIsReadToItsEndOrCutOff) {
  TempDir d;
  const std::string fifo = d.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string text(300000, 'p');
  {
    std::thread writer(write_when_read, fifo, text);
    EXPECT_EQ(unirep::modalities::read_input_bytes(fifo, limits(1 << 20, 5)), text);
    writer.join();
  }
  {
    std::thread writer(write_when_read, fifo, text);
    EXPECT_EQ(error_of([&] { unirep::modalities::read_input_bytes(fifo, limits(1000, 5)); }),
              fifo + ": is not a regular file and gave more than the limit of 1000 bytes without ending");
    writer.join();
  }
}

TEST(InputFile, DashIsStandardInput) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  const int saved = ::dup(STDIN_FILENO);
  ::dup2(p[0], STDIN_FILENO);
  ::close(p[0]);
  std::thread writer([fd = p[1]] {
    const std::string text = "1 2 3\n4 5 6\n";
    EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
  });
  std::string got;
  const std::string error = error_of([&] { got = unirep::modalities::read_input_bytes("-", limits(1 << 20, 5)); });
  writer.join();
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  EXPECT_EQ(error, "");
  EXPECT_EQ(got, "1 2 3\n4 5 6\n");
}

TEST(InputFile, PathsThatAreNotFilesSaySo) {
  TempDir d;
  EXPECT_EQ(error_of([&] { unirep::modalities::read_input_bytes(d.file("none")); }), d.file("none") + ": no such file");
  EXPECT_EQ(error_of([&] { unirep::modalities::read_input_bytes(d.path()); }),
            d.path() + ": is a directory, not a file");
  ASSERT_EQ(::symlink("loop", d.file("loop").c_str()), 0);
  EXPECT_EQ(error_of([&] { unirep::modalities::read_input_bytes(d.file("loop")); }),
            d.file("loop") + ": a loop of symbolic links (it points back to itself)");
  ASSERT_EQ(::symlink("gone", d.file("dangling").c_str()), 0);
  EXPECT_EQ(error_of([&] { unirep::modalities::read_input_bytes(d.file("dangling")); }),
            d.file("dangling") + ": no such file (a symbolic link to a missing file)");
  EXPECT_EQ(error_of([&] { unirep::modalities::check_input_path(d.file("loop")); }),
            d.file("loop") + ": a loop of symbolic links (it points back to itself)");
}

TEST(InputFile, PointFilesAreReadWithinTheLimits) {
  TempDir d;
  EXPECT_EQ(error_of([] { unirep::modalities::read_point_file("/dev/zero", limits(1 << 20)); }),
            "/dev/zero: is not a regular file and gave more than the limit of 1048576 bytes (1 MiB) without ending");
  const std::string fifo = d.file("cloud.xyz");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(error_of([&] { unirep::modalities::read_point_file(fifo, limits(1 << 20, 0.3)); }),
            fifo + ": no data came within 0.3 s (a FIFO or pipe with no writer?)");
  std::thread writer(write_when_read, fifo, "0 0 0\n1 0 0\n0 1 0\n");
  EXPECT_EQ(unirep::modalities::read_point_file(fifo, limits(1 << 20, 5)).xyz.size(), 3u);  // a FIFO with data is read
  writer.join();
  ASSERT_EQ(::symlink("loop.off", d.file("loop.off").c_str()), 0);
  EXPECT_EQ(error_of([&] { unirep::modalities::read_point_file(d.file("loop.off")); }),
            d.file("loop.off") + ": a loop of symbolic links (it points back to itself)");
}

// ModelNet's glued counts may contain a 4 ("OFF4 1 0"): only a 4 before "OFF" means 4-D.
TEST(InputFile, OffGluedCountWithAFourIsNotFourDimensional) {
  TempDir d;
  unirep::testing::write_bytes(d.file("glued.off"), "OFF4 1 0\n0 0 0\n1 0 0\n0 1 0\n0 0 1\n3 0 1 2\n");
  const auto c = unirep::modalities::read_point_file(d.file("glued.off"));
  EXPECT_EQ(c.xyz.size(), 4u);
  EXPECT_EQ(c.triangles.size(), 1u);
  unirep::testing::write_bytes(d.file("4d.off"), "4OFF\n1 0 0\n0 0 0 0\n");
  EXPECT_NE(error_of([&] {
              unirep::modalities::read_point_file(d.file("4d.off"));
            }).find("4-D and n-D OFF files are not supported"),
            std::string::npos);
}

}  // namespace
