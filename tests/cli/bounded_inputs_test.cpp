// Bounded work for any input, end to end through the CLI (docs/images.md, docs/points.md and
// docs/video.md, Limits): decompression bombs (a 1 x 65535 PNG, a tall thin video), an image over
// the pixel limit set by UNIREP_MAX_IMAGE_PIXELS, endless inputs (/dev/zero, `yes` through a FIFO),
// a FIFO with no writer and a loop of symbolic links. Each runs under a 3 GB address-space cap and a
// timeout; each either succeeds with the documented result (the bombs: only the crop of the resize
// is made) or fails with one line naming the file and the problem, and leaves no output file.
#include "models/io/npy.h"
#include <support/test_models.h>
#include <support/test_support.h>

#include <ATen/ATen.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>
namespace {

constexpr unsigned long long kAddressSpace = 3ull << 30;

bool have_ffmpeg() {
  return std::system("ffmpeg -version >/dev/null 2>&1") == 0;
}

#define REQUIRE_FFMPEG() \
  if (!have_ffmpeg()) GTEST_SKIP() << "the ffmpeg program is needed to make the test inputs"

void ffmpeg(const std::string& args) {
  ASSERT_EQ(std::system(("ffmpeg -nostdin -loglevel error -y " + args + " >/dev/null 2>&1").c_str()), 0) << args;
}

// Our "unirep: error: ..." line, or else the first line (a usage error from the option checks).
std::string error_line(const std::string& s) {
  const auto at = s.find("unirep: error:");
  if (at != std::string::npos) return s.substr(at, s.find('\n', at) - at);
  return s.substr(0, s.find('\n'));
}

unirep::testing::LimitedResult run(const std::vector<std::string>& args, double timeout_s = 120,
                                   const std::vector<std::string>& env = {}) {
  unirep::testing::CliLimits limits;
  limits.address_space_bytes = kAddressSpace;
  limits.timeout_s = timeout_s;
  return unirep::testing::run_cli_limited(args, limits, env);
}

// A refusal: a non-zero exit in time, one error line naming `file` and saying `problem`, no output.
void expect_refused(const unirep::testing::LimitedResult& r, const std::string& file, const std::string& problem,
                    const std::string& output) {
  EXPECT_FALSE(r.timed_out) << "hung: " << r.output;
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_LT(r.exit_code, 128) << "crashed: " << r.output;
  const std::string line = error_line(r.output);
  EXPECT_NE(line.find(file), std::string::npos) << line;
  EXPECT_NE(line.find(problem), std::string::npos) << line;
  EXPECT_FALSE(unirep::testing::file_exists(output)) << output;
}

// Feeds "y\n" into a FIFO as `yes` would, until the reader closes it or `stop` is set; opening is
// retried without blocking so a reader that never comes cannot hang the test.
class YesIntoFifo {
 public:
  explicit YesIntoFifo(const std::string& path) : thread_([this, path] { feed(path); }) {}
  ~YesIntoFifo() {
    stop_ = true;
    thread_.join();
  }

 private:
  void feed(const std::string& path) {
    signal(SIGPIPE, SIG_IGN);
    int fd = -1;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!stop_ && fd < 0 && std::chrono::steady_clock::now() < deadline) {
      fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK);
      if (fd < 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (fd < 0) return;
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    std::string chunk;
    for (int i = 0; i < 32768; ++i) chunk += "y\n";
    while (!stop_ && ::write(fd, chunk.data(), chunk.size()) > 0) {
    }
    ::close(fd);
  }
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string make_fifo(const unirep::testing::TempDir& d, const std::string& name) {
  const std::string path = d.file(name);
  EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0);
  return path;
}

}  // namespace

// A 1 x 65535 PNG of a few hundred bytes: resized so its short side is 256 it would be 256 x 16776960
// pixels (12 GB); only the 224 x 224 crop is made, equal to what PIL's resize + crop give.
TEST(BoundedInputs, TallThinPngIsCroppedWithoutTheWholeResize) {
  REQUIRE_FFMPEG();
  unirep::testing::TempDir d;
  const std::string png = d.file("tall.png");
  ffmpeg("-f lavfi -i color=c=red:s=16x16,format=rgb24 -vf scale=1:65535 -frames:v 1 " + png);
  ASSERT_LT(unirep::testing::read_bytes(png).size(), 4096u);
  for (const std::string size : {"224", "384"}) {  // 384: the warp path (no crop)
    const std::string out = d.file("tall_" + size + ".npy");
    const auto r = run({"preprocess", "image", png, "--size", size, "-o", out});
    ASSERT_FALSE(r.timed_out) << r.output;
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto x = unirep::io::read_npy(out);
    EXPECT_EQ(x.sizes(), (at::IntArrayRef{3, std::stoi(size), std::stoi(size)}));
    // Pure red everywhere: (1 - 0.485) / 0.229 in the red plane.
    EXPECT_NEAR(x[0].mean().item<double>(), (1 - 0.485) / 0.229, 1e-3);
  }
}

// UNIREP_MAX_IMAGE_PIXELS gives the CLI the pixel limit: a 64 x 64 image is over a limit of 1000
// pixels and refused from its header, naming the file, its size and the variable.
TEST(BoundedInputs, ImageOverThePixelLimitIsRefused) {
  REQUIRE_FFMPEG();
  unirep::testing::TempDir d;
  const std::string png = d.file("square.png"), out = d.file("out.npy");
  ffmpeg("-f lavfi -i color=c=blue:s=64x64 -frames:v 1 " + png);
  auto r = run({"preprocess", "image", png, "-o", out}, 120, {"UNIREP_MAX_IMAGE_PIXELS=1000"});
  expect_refused(r, png, "64 x 64 pixels, more than the limit of 1000 pixels set by UNIREP_MAX_IMAGE_PIXELS", out);
  r = run({"preprocess", "image", png, "-o", out}, 120, {"UNIREP_MAX_IMAGE_PIXELS=lots"});
  expect_refused(r, "UNIREP_MAX_IMAGE_PIXELS", "must be a positive whole number of pixels, got 'lots'", out);
  r = run({"preprocess", "image", png, "-o", out}, 120, {"UNIREP_MAX_IMAGE_PIXELS=4096"});  // exactly the limit passes
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

// A 2 x 16384 video: each frame resized to 224 on the short side would be 224 x 1835008 pixels
// (1.2 GB, 16 of them per clip); only the crops of the views are made.
TEST(BoundedInputs, TallThinVideoIsCroppedWithoutTheWholeResize) {
  REQUIRE_FFMPEG();
  unirep::testing::TempDir d;
  const std::string video = d.file("tall.mkv");
  ffmpeg("-f lavfi -i color=c=red:s=2x16384:d=2:r=8 -c:v ffv1 " + video);
  for (const std::string view : {"0", "2"}) {  // the validation view and a test view
    const std::string out = d.file("tall_" + view + ".npy");
    const auto r = run({"preprocess", "video", video, "--view", view, "-o", out});
    ASSERT_FALSE(r.timed_out) << r.output;
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(unirep::io::read_npy(out).sizes(), (at::IntArrayRef{3, 896, 896}));
  }
}

// /dev/zero never ends: as a point cloud and as an image it is cut off at the input limit, as a
// video refused at once (FFmpeg would read it without end); an image used to be called "empty".
TEST(BoundedInputs, DevZeroIsCutOffWithAClearError) {
  unirep::testing::TempDir d;
  const std::string out = d.file("out.npy");
  auto r = run({"preprocess", "points", "/dev/zero", "-o", out});
  expect_refused(r, "/dev/zero",
                 "is not a regular file and gave more than the limit of 268435456 bytes (256 MiB) without ending", out);
  r = run({"preprocess", "image", "/dev/zero", "-o", out});
  expect_refused(r, "/dev/zero",
                 "is not a regular file and gave more than the limit of 1073741824 bytes (1 GiB) without ending", out);
  EXPECT_EQ(r.output.find("empty"), std::string::npos) << r.output;
  r = run({"preprocess", "video", "/dev/zero", "-o", out});
  expect_refused(r, "/dev/zero", "is not a regular file", out);
  const std::string model = d.file("points.safetensors");
  unirep::testing::write_point_model(model);
  r = run({"classify-points", "/dev/zero", "-m", model});
  expect_refused(r, "/dev/zero", "without ending", out);
}

// `yes` through a FIFO: an endless stream, cut off at the limit instead of filling memory.
TEST(BoundedInputs, EndlessPipeIsCutOffWithAClearError) {
  unirep::testing::TempDir d;
  const std::string fifo = make_fifo(d, "yes.xyz"), out = d.file("out.npy");
  unirep::testing::LimitedResult r;
  {
    YesIntoFifo yes(fifo);
    r = run({"preprocess", "points", fifo, "-o", out});
  }
  expect_refused(r, fifo,
                 "is not a regular file and gave more than the limit of 268435456 bytes (256 MiB) without ending", out);
}

// A FIFO nobody opens for writing: refused after the 10 s wait, never a hang.
TEST(BoundedInputs, FifoWithoutWriterFailsAfterTheWait) {
  unirep::testing::TempDir d;
  const std::string out = d.file("out.npy");
  const std::string points = make_fifo(d, "nobody.off"), image = make_fifo(d, "nobody.png"),
                    video = make_fifo(d, "nobody.mp4");
  const auto start = std::chrono::steady_clock::now();
  auto r = run({"preprocess", "points", points, "-o", out}, 60);
  expect_refused(r, points, "no data came within 10 s", out);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 40);
  r = run({"preprocess", "image", image, "-o", out}, 60);
  expect_refused(r, image, "no data came within 10 s", out);
  r = run({"preprocess", "video", video, "-o", out}, 60);
  expect_refused(r, video, "is not a regular file", out);
}

// A loop of symbolic links is not a file: its own message, whichever check meets it first.
TEST(BoundedInputs, SymlinkLoopSaysSo) {
  unirep::testing::TempDir d;
  const std::string loop = d.file("loop"), out = d.file("out.npy");
  ASSERT_EQ(::symlink("loop", loop.c_str()), 0);
  for (const std::string modality : {"points", "image", "video"}) {
    const auto r = run({"preprocess", modality, loop, "-o", out}, 60);
    expect_refused(r, loop, "loop of symbolic links", out);
  }
}
