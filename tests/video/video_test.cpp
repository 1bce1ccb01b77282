// Video: the official frame indices (docs/reference.md, Video; numpy's arithmetic, checked against
// numpy itself), the row-major reshape against a direct index computation, OpenCV's bilinear
// resize against cv2, the reader on every container the generator writes, the whole validation
// and test views against a Python implementation of the official pipeline (cv2 + numpy on frames
// the ffmpeg CLI decodes), hostile files, and the CLI.
#include "models/io/npy.h"
#include "modalities/image/opencv_resize.h"
#include "modalities/video/frame_sampling.h"
#include "modalities/video/video_reader.h"
#include "modalities/video/video_transform.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <sstream>

#include "support/test_support.h"

namespace {
using unirep::testing::TempDir;

bool have(const char* cmd) {
  return std::system((std::string(cmd) + " >/dev/null 2>&1").c_str()) == 0;
}

#define REQUIRE(cond, what)                                                      \
  do {                                                                           \
    if (!(cond)) {                                                               \
      if (unirep::testing::ci_mode()) FAIL() << what << " is missing (CI=true)"; \
      GTEST_SKIP() << what << " is missing; skipped";                            \
    }                                                                            \
  } while (0)

const bool kFfmpeg = have("ffmpeg -version");
const bool kPython = have("/usr/bin/python3 -c 'import numpy, cv2'");

void run_ok(const std::string& cmd) {
  ASSERT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0) << cmd;
}

// A clip whose frame i shows the number i as a grey level band, so a frame is recognizable.
void make_clip(const std::string& path, int frames, int w, int h, const std::string& codec_args) {
  run_ok("ffmpeg -nostdin -loglevel error -y -f lavfi -i \"testsrc2=s=" + std::to_string(w) + "x" + std::to_string(h) +
         ":rate=25\" -frames:v " + std::to_string(frames) + " " + codec_args + " " + path);
}

std::string python_list(const std::vector<int64_t>& v) {
  std::ostringstream s;
  for (size_t i = 0; i < v.size(); ++i) s << (i ? "," : "") << v[i];
  return s.str();
}

TEST(FrameSampling, MatchesNumpyForEveryLength) {
  REQUIRE(kPython, "python3 with numpy and cv2 (python3-opencv)");
  TempDir d;
  // The official frame indices' own arithmetic (docs/reference.md, Video), for n = 1..300.
  unirep::testing::write_bytes(
      d.file("s.py"),
      "import numpy as np\n"
      "for n in range(1, 301):\n"
      "    c, r = 16, 4\n"
      "    L = c * r\n"
      "    if n <= L:\n"
      "        i = np.linspace(0, n, num=n // r)\n"
      "        i = np.concatenate((i, np.ones(c - n // r) * n))\n"
      "        i = np.clip(i, 0, n - 1).astype(np.int64)\n"
      "    else:\n"
      "        e = (L + n) // 2; s = e - L\n"
      "        i = np.clip(np.linspace(s, e, num=c), s, e - 1).astype(np.int64)\n"
      "    t = list(range(0, n, r))\n"
      "    while len(t) < c: t.append(t[-1])\n"
      "    ts = [int(k * max((len(t) - c) / 4, 0)) for k in range(5)]\n"
      "    print(','.join(map(str, i)) + ';' + ','.join(map(str, t)) + ';' + ','.join(map(str, ts)))\n");
  FILE* p = popen(("/usr/bin/python3 " + d.file("s.py")).c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[8192];
  for (int64_t n = 1; n <= 300; ++n) {
    ASSERT_NE(fgets(buf, sizeof buf, p), nullptr);
    std::string line(buf);
    line.pop_back();
    const auto test = unirep::modalities::test_indices(n);
    std::string starts;
    for (int64_t k = 0; k < 5; ++k)
      starts += (k ? "," : "") +
                std::to_string(unirep::modalities::temporal_view_start(static_cast<int64_t>(test.size()), k));
    EXPECT_EQ(python_list(unirep::modalities::validation_indices(n)) + ";" + python_list(test) + ";" + starts, line)
        << "n = " << n;
  }
  pclose(p);
  // Training windows stay inside the video and span the window.
  std::mt19937_64 rng(1);
  for (int k = 0; k < 100; ++k) {
    const auto t = unirep::modalities::training_indices(200, {}, rng);
    ASSERT_EQ(t.size(), 16u);
    EXPECT_GE(t.front(), 0);
    EXPECT_LT(t.back(), 200);
    EXPECT_GE(t.back() - t.front(), 56);
  }
}

TEST(ClipReshape, IsTheRowMajorReinterpretation) {
  const auto clip = at::arange(3 * 16 * 8 * 12, at::kFloat).reshape({3, 16, 8, 12});
  const auto image = unirep::modalities::clip_to_backbone_image(clip);
  ASSERT_EQ(image.sizes(), (at::IntArrayRef{3, 32, 48}));
  // (t, h, w) lands at row t H / 4 + h / 4, column (h mod 4) W + w.
  for (int64_t t : {0, 5, 15})
    for (int64_t h : {0, 3, 6, 7})
      for (int64_t w : {0, 11})
        EXPECT_EQ(image[1][t * 8 / 4 + h / 4][(h % 4) * 12 + w].item<float>(), clip[1][t][h][w].item<float>());
}

TEST(OpencvResize, EqualsCv2) {
  REQUIRE(kPython, "python3 with numpy and cv2 (python3-opencv)");
  TempDir d;
  std::mt19937 rng(3);
  unirep::modalities::RgbImage im;
  im.width = 173, im.height = 131;
  im.pixels.resize(173 * 131 * 3);
  for (size_t i = 0; i < im.pixels.size(); ++i) im.pixels[i] = static_cast<uint8_t>((i * 7 + rng() % 64) % 256);
  unirep::io::write_npy(d.file("in.npy"), at::from_blob(im.pixels.data(), {131, 173, 3}, at::kByte).to(at::kFloat));
  unirep::testing::write_bytes(d.file("r.py"),
                               "import sys, numpy as np, cv2\n"
                               "a = np.load(sys.argv[1]).astype(np.uint8)\n"
                               "for w, h in [(224, 169), (64, 48), (173, 131), (300, 400), (50, 131)]:\n"
                               "    np.save(sys.argv[2] + f'/{w}x{h}.npy', cv2.resize(a, (w, h), "
                               "interpolation=cv2.INTER_LINEAR).astype(np.float32))\n");
  run_ok("/usr/bin/python3 " + d.file("r.py") + " " + d.file("in.npy") + " " + d.path());
  for (auto [w, h] :
       {std::pair{224, 169}, std::pair{64, 48}, std::pair{173, 131}, std::pair{300, 400}, std::pair{50, 131}}) {
    SCOPED_TRACE(std::to_string(w) + "x" + std::to_string(h));
    const auto ours = unirep::modalities::opencv_resize_linear(im, w, h);
    const auto ref = unirep::io::read_npy(d.file(std::to_string(w) + "x" + std::to_string(h) + ".npy"));
    const auto mine = at::from_blob(const_cast<uint8_t*>(ours.pixels.data()), {h, w, 3}, at::kByte).to(at::kFloat);
    const auto diff = (mine - ref).abs();
    EXPECT_EQ(diff.max().item<float>(), 0.0f);  // bit-exact with cv2 4.6
  }
}

TEST(VideoReader, EveryContainerAndIndexedFrames) {
  REQUIRE(kFfmpeg, "the ffmpeg CLI");
  TempDir d;
  for (const std::string ext : {"mp4", "mkv", "avi", "webm", "mov"}) {
    SCOPED_TRACE(ext);
    const std::string f = d.file("clip." + ext);
    make_clip(f, 90, 96, 64,
              ext == "avi"    ? "-c:v mpeg4 -q:v 2"
              : ext == "webm" ? "-c:v libvpx -b:v 2M"
                              : "-c:v libx264 -g 30 -bf 2");
    unirep::modalities::VideoReader r(f);
    EXPECT_EQ(r.info().frames, 90);
    EXPECT_EQ(r.info().width, 96);
    EXPECT_NEAR(r.info().fps, 25.0, 1e-6);
    // Frames asked out of order, repeated, and past a keyframe equal a straight decode of them.
    const auto some = r.frames({75, 3, 40, 3, 89});
    std::vector<int64_t> all(90);
    for (int i = 0; i < 90; ++i) all[i] = i;
    const auto every = r.frames(all);
    ASSERT_EQ(some.size(), 5u);
    EXPECT_EQ(some[0].pixels, every[75].pixels);
    EXPECT_EQ(some[1].pixels, every[3].pixels);
    EXPECT_EQ(some[2].pixels, every[40].pixels);
    EXPECT_EQ(some[4].pixels, every[89].pixels);
    EXPECT_NE(every[3].pixels, every[40].pixels);
    EXPECT_THROW(r.frames({90}), std::runtime_error);
  }
}

TEST(VideoReader, BadFilesGiveClearErrors) {
  TempDir d;
  auto error_of = [](const std::string& path) -> std::string {
    try {
      unirep::modalities::VideoReader r(path);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(error_of(d.file("none.mp4")).find("none.mp4: no such file"), std::string::npos);
  EXPECT_NE(error_of(d.path()).find("is a directory"), std::string::npos);
  unirep::testing::write_bytes(d.file("empty.mp4"), "");
  EXPECT_NE(error_of(d.file("empty.mp4")).find("the file is empty"), std::string::npos);
  unirep::testing::write_bytes(
      d.file("text.mp4"),
      "#EXTM3U\n#EXT-X-TARGETDURATION:10\nhttp://example.com/a.ts\n");  // a playlist must not be followed
  EXPECT_NE(error_of(d.file("text.mp4")).find("not a video file"), std::string::npos) << error_of(d.file("text.mp4"));
  if (!kFfmpeg) return;
  run_ok("ffmpeg -nostdin -loglevel error -y -f lavfi -i sine=d=1 " + d.file("audio.mkv"));
  EXPECT_NE(error_of(d.file("audio.mkv")).find("no video stream"), std::string::npos) << error_of(d.file("audio.mkv"));
  make_clip(d.file("ok.mp4"), 40, 64, 48, "-c:v libx264");
  const std::string bytes = unirep::testing::read_bytes(d.file("ok.mp4"));
  unirep::testing::write_bytes(d.file("cut.mp4"), bytes.substr(0, bytes.size() / 3));
  EXPECT_FALSE(error_of(d.file("cut.mp4")).empty());
}

// Found by fuzzing (scripts/fuzz, fuzz_video): an MPEG-TS stream whose frames carry colorspace 32,
// a value outside FFmpeg's enum, which our conversion loaded as the enum type (undefined behaviour
// under UBSan). Whatever the reader makes of it, it must be a result or a clean error.
TEST(VideoReader, FuzzFoundColorspaceOutOfRange) {
  TempDir d;
  const std::string bytes(
      "\x47\x58\x10\x00\x00\x00\x00\x00\x00\x40\x11\xff\xff\xff\xff\xff\xbc\xb0\xb9\x2a\xdf\xff\xb0\xb9"
      "\xdf\xff\xff\xff\xff\xff\xff\xff\xff\x00\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x49\x49\x49"
      "\x49\x49\x49\x49\x49\x49\x49\x49\x49\x49\x49\x61\x00\x00\x01\xb3\x02\x00\x18\x23\xff\xff\xe0\x18"
      "\x00\x00\x01\xb5\x2d\x94\x8a\x20\x01\x00\x24\x00\x00\x01\xb8\x00\x08\x00\x40\x00\x00\x01\x00\x00"
      "\x0f\xff\xf8\x00\x00\x01\xb5\x8f\xff\xf3\x41\x01\xb5\x8f\xff\xf3\x41\x80\x00\x00\x01\x01\x13\xf9"
      "\xc1\x31\xff\x76\x66\xe9\x80\x80\x00",
      129);
  unirep::testing::write_bytes(d.file("fuzz.ts"), bytes);
  try {
    unirep::modalities::VideoReader r(d.file("fuzz.ts"));
    const int64_t n = r.info().frames;
    (void)r.frames({n - 1, 0, n / 2});
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("fuzz.ts"), std::string::npos) << e.what();
  }
}

// The whole official pipeline in Python (numpy indices, cv2 bilinear resize, round-half-even
// centre crop, /255, normalization, row-major reshape) on frames the ffmpeg CLI decodes with its
// default RGB conversion (what decord gives the official loader), against ours: the validation
// view and three of the test views.
TEST(VideoTransform, MatchesThePythonPipeline) {
  REQUIRE(kFfmpeg, "the ffmpeg CLI");
  REQUIRE(kPython, "python3 with numpy and cv2 (python3-opencv)");
  TempDir d;
  const std::string f = d.file("c.mp4");
  make_clip(f, 130, 200, 150, "-c:v libx264 -g 24");
  unirep::testing::write_bytes(
      d.file("ref.py"),
      "import sys, subprocess, numpy as np, cv2\n"
      "f, out, S = sys.argv[1], sys.argv[2], int(sys.argv[3])\n"
      "raw = subprocess.run(['ffmpeg', '-loglevel', 'error', '-i', f, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],\n"
      "    capture_output=True, check=True).stdout\n"
      "v = np.frombuffer(raw, np.uint8).reshape(-1, 150, 200, 3); n = len(v)\n"
      "def resize(fr):\n"
      "    h, w = fr.shape[:2]\n"
      "    if min(h, w) == S: return fr\n"
      "    oh, ow = (int(S * h / w), S) if w < h else (S, int(S * w / h))\n"
      "    return cv2.resize(fr, (ow, oh), interpolation=cv2.INTER_LINEAR)\n"
      "def norm(c):\n"
      "    x = c.astype(np.float32).transpose(3, 0, 1, 2) / np.float32(255)\n"
      "    m = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None, None]\n"
      "    s = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None, None]\n"
      "    x = (x - m) / s\n"
      "    return x.reshape(3, x.shape[1] * x.shape[2] // 4, 4 * x.shape[3])\n"
      "e = (64 + n) // 2; s0 = e - 64\n"
      "idx = np.clip(np.linspace(s0, e, num=16), s0, e - 1).astype(np.int64)\n"
      "fr = np.stack([resize(v[i]) for i in idx])\n"
      "h, w = fr.shape[1:3]; y = int(round((h - S) / 2.)); x = int(round((w - S) / 2.))\n"
      "np.save(out + '/val.npy', norm(fr[:, y:y + S, x:x + S]))\n"
      "t = list(range(0, n, 4))\n"
      "b = np.stack([resize(v[i]) for i in t])\n"
      "ss = 1.0 * (max(b.shape[1], b.shape[2]) - S) / 2; ts = max(1.0 * (len(b) - 16) / 4, 0)\n"
      "for k, (c, p) in enumerate([(0, 0), (2, 1), (4, 2)]):\n"
      "    a, sp = int(c * ts), int(p * ss)\n"
      "    clip = b[a:a + 16, sp:sp + S] if b.shape[1] >= b.shape[2] else b[a:a + 16, :, sp:sp + S]\n"
      "    np.save(out + f'/test{c * 3 + p}.npy', norm(clip))\n");
  run_ok("/usr/bin/python3 " + d.file("ref.py") + " " + f + " " + d.path() + " 56");
  unirep::modalities::VideoTransformOptions o;
  o.size = 56;
  unirep::modalities::VideoReader reader(f);
  auto levels = [](const at::Tensor& a, const at::Tensor& b) { return (a - b).abs() * (255.0 * 0.226); };
  const auto val = unirep::modalities::validation_view(reader, o);
  const auto ref = unirep::io::read_npy(d.file("val.npy"));
  ASSERT_EQ(val.sizes(), ref.sizes());
  EXPECT_EQ(levels(val, ref).max().item<double>(), 0.0);
  const auto views = unirep::modalities::test_views(reader, o);
  ASSERT_EQ(views.size(0), 15);
  for (int v : {0, 7, 14}) {
    SCOPED_TRACE("test view " + std::to_string(v));
    const auto r = unirep::io::read_npy(d.file("test" + std::to_string(v) + ".npy"));
    ASSERT_EQ(views[v].sizes(), r.sizes());
    EXPECT_EQ(levels(views[v], r).max().item<double>(), 0.0);
  }
}

}  // namespace
