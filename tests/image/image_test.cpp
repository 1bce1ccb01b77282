// Images: decoding every format (files made by the ffmpeg CLI in the test), the PIL-exact resize and
// torchvision's crop rules, the official evaluation transform against PIL + torchvision themselves,
// EXIF orientation against PIL's exif_transpose, hostile files, and the CLI with the A fixture.
#include "models/io/npy.h"
#include "modalities/image/image_decode.h"
#include "modalities/image/image_transform.h"
#include "modalities/image/pil_resize.h"
#include "sdk/image/image_labels.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/test_support.h"

namespace {
using unirep::testing::TempDir;

bool have_ffmpeg() {
  return std::system("ffmpeg -version >/dev/null 2>&1") == 0;
}

#define REQUIRE_FFMPEG()                                                                                       \
  do {                                                                                                         \
    if (!have_ffmpeg()) {                                                                                      \
      if (unirep::testing::ci_mode()) FAIL() << "the ffmpeg CLI is missing (CI=true): apt-get install ffmpeg"; \
      GTEST_SKIP() << "the ffmpeg CLI is missing: apt-get install ffmpeg";                                     \
    }                                                                                                          \
  } while (0)

// The Python with PIL and torchvision that Debian ships ("" if none).
const std::string& python_with_pil() {
  static const std::string found = [] {
    for (const char* p : {"/usr/bin/python3", "python3"})
      if (std::system((std::string(p) + " -c 'import PIL, torchvision, numpy' >/dev/null 2>&1").c_str()) == 0)
        return std::string(p);
    return std::string();
  }();
  return found;
}

#define REQUIRE_PIL()                                                                                        \
  do {                                                                                                       \
    if (python_with_pil().empty()) {                                                                         \
      if (unirep::testing::ci_mode()) FAIL() << "python3-pil and python3-torchvision are missing (CI=true)"; \
      GTEST_SKIP() << "python3-pil / python3-torchvision missing: the PIL cross-check is skipped";           \
    }                                                                                                        \
  } while (0)

void run_ok(const std::string& cmd) {
  ASSERT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0) << cmd;
}

std::string ffmpeg(const std::string& args) {
  return "ffmpeg -nostdin -loglevel error -y " + args;
}

// Raw rgb24 bytes of an image as the ffmpeg CLI decodes it.
std::string ffmpeg_rgb(const TempDir& d, const std::string& file) {
  const std::string raw = d.file("ref.rgb");
  std::system((ffmpeg("-i " + file + " -f rawvideo -pix_fmt rgb24 " + raw) + " >/dev/null 2>&1").c_str());
  return unirep::testing::read_bytes(raw);
}

std::string error_of(const std::string& path, const unirep::modalities::ImageDecodeOptions& o = {}) {
  try {
    unirep::modalities::decode_image(path, o);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// PNG's chunk checksum (CRC-32, polynomial 0xEDB88320).
uint32_t crc32(const std::string& bytes) {
  uint32_t c = 0xffffffffu;
  for (unsigned char b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return c ^ 0xffffffffu;
}

unirep::modalities::RgbImage pattern(int w, int h) {
  unirep::modalities::RgbImage im;
  im.width = w, im.height = h;
  im.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      auto* p = im.at(y, x);
      p[0] = static_cast<uint8_t>((x * 7 + y * 3) % 256), p[1] = static_cast<uint8_t>(((x / 5 + y / 7) % 2) * 255),
      p[2] = static_cast<uint8_t>((x * y) % 251);
    }
  return im;
}

TEST(ImageDecode, EveryFormatGivesTheSourcePixels) {
  REQUIRE_FFMPEG();
  TempDir d;
  const std::string src = d.file("src.png");
  run_ok(ffmpeg("-f lavfi -i testsrc2=size=98x62 -frames:v 1 -vf scale=97:61 " + src));  // odd sizes
  const std::string expected = ffmpeg_rgb(d, src);
  ASSERT_EQ(expected.size(), 97u * 61 * 3);
  // Lossless formats must give the source pixels exactly, whatever the extension says.
  for (const std::string name :
       {"x.bmp", "x.tiff", "x.webp", "x.ppm", "x.qoi", "rgba.png", "pal.gif", "wrong_extension.jpg"}) {
    SCOPED_TRACE(name);
    std::string args = "-i " + src + " ";
    if (name == "x.webp") args += "-lossless 1 ";
    if (name == "rgba.png") args += "-pix_fmt rgba ";
    if (name == "wrong_extension.jpg") args += "-f image2 -c:v png ";
    if (name == "pal.gif") continue;  // GIF quantizes to a palette; checked below against ffmpeg's own decode
    run_ok(ffmpeg(args + d.file(name)));
    const auto im = unirep::modalities::decode_image(d.file(name));
    ASSERT_EQ(im.width, 97);
    ASSERT_EQ(im.height, 61);
    EXPECT_EQ(std::memcmp(im.pixels.data(), expected.data(), expected.size()), 0);
  }
  // Grey, 16-bit grey and 16-bit RGB, palette GIF: compared with ffmpeg's own conversion of them.
  for (const std::string fmt : {"gray", "gray16be", "rgb48be", "gif"}) {
    SCOPED_TRACE(fmt);
    const std::string f = d.file(fmt + (fmt == "gif" ? ".gif" : ".png"));
    run_ok(ffmpeg("-i " + src + (fmt == "gif" ? std::string() : " -pix_fmt " + fmt) + " " + f));
    const auto im = unirep::modalities::decode_image(f);
    const std::string ref = ffmpeg_rgb(d, f);
    ASSERT_EQ(im.pixels.size(), ref.size());
    int worst = 0;
    for (size_t i = 0; i < ref.size(); ++i) worst = std::max(worst, std::abs(int(im.pixels[i]) - int(uint8_t(ref[i]))));
    EXPECT_LE(worst, fmt == "gray" || fmt == "gif" ? 0 : 1);  // 16-bit: high byte vs ffmpeg's rounding
  }
  // JPEG: lossy, so only close to the source.
  run_ok(ffmpeg("-i " + src + " -q:v 2 " + d.file("x.jpg")));
  const auto jpg = unirep::modalities::decode_image(d.file("x.jpg"));
  double mean = 0;
  for (size_t i = 0; i < expected.size(); ++i) mean += std::abs(int(jpg.pixels[i]) - int(uint8_t(expected[i])));
  EXPECT_LT(mean / expected.size(), 8.0);
}

TEST(ImageDecode, BadFilesGiveClearErrors) {
  REQUIRE_FFMPEG();
  TempDir d;
  auto expect = [&](const std::string& path, const std::string& what,
                    const unirep::modalities::ImageDecodeOptions& o = {}) {
    const auto e = error_of(path, o);
    EXPECT_NE(e.find(path), std::string::npos) << e;
    EXPECT_NE(e.find(what), std::string::npos) << path << ": " << e;
  };
  expect(d.file("missing.png"), "no such file");
  expect(d.path(), "is a directory");
  unirep::testing::write_bytes(d.file("empty.png"), "");
  expect(d.file("empty.png"), "the file is empty");
  unirep::testing::write_bytes(d.file("text.png"), "this is not an image at all, just words\n");
  expect(d.file("text.png"), "not an image");
  run_ok(ffmpeg("-f lavfi -i testsrc2=size=640x480 -frames:v 1 " + d.file("big.png")));
  const std::string png = unirep::testing::read_bytes(d.file("big.png"));
  unirep::testing::write_bytes(d.file("cut.png"), png.substr(0, 100));
  EXPECT_FALSE(error_of(d.file("cut.png")).empty());
  // A header claiming 15000 x 15000 pixels (675 MB of RGB): above the default limit (PIL's), refused
  // before the frame is allocated.
  std::string huge = png.substr(0, 33);
  const unsigned char dims[8] = {0x00, 0x00, 0x3a, 0x98, 0x00, 0x00, 0x3a, 0x98};
  huge.replace(16, 8, reinterpret_cast<const char*>(dims), 8);
  const uint32_t crc = crc32(huge.substr(12, 17));  // IHDR type and data, so only the size is wrong
  for (int i = 0; i < 4; ++i) huge[29 + i] = static_cast<char>(crc >> (24 - 8 * i));
  unirep::testing::write_bytes(d.file("huge.png"), huge + png.substr(33));
  expect(d.file("huge.png"), "more than the limit of 178956970 pixels");
  unirep::modalities::ImageDecodeOptions small;
  small.max_pixels = 1000;
  expect(d.file("big.png"), "more than the limit of 1000", small);
  small = {};
  small.max_file_bytes = 100;
  expect(d.file("big.png"), "more than the limit of 100", small);
}

TEST(PilResize, ConstantsStayConstantAndSizesFollowTorchvision) {
  unirep::modalities::RgbImage flat;
  flat.width = 37, flat.height = 23;
  flat.pixels.assign(37 * 23 * 3, 200);
  for (auto [w, h] : {std::pair{256, 160}, std::pair{5, 3}, std::pair{37, 100}}) {
    const auto r = unirep::modalities::pil_resize(flat, w, h);
    ASSERT_EQ(r.width, w);
    ASSERT_EQ(r.height, h);
    for (auto v : r.pixels) ASSERT_EQ(v, 200);
  }
  const auto p = pattern(64, 48);
  EXPECT_EQ(unirep::modalities::pil_resize(p, 64, 48).pixels, p.pixels);  // same size: unchanged
  // Short side to 256, long side int(256 * long / short).
  const auto wide = unirep::modalities::resize_short_side(pattern(517, 389), 256);
  EXPECT_EQ(wide.height, 256);
  EXPECT_EQ(wide.width, 340);
  const auto tall = unirep::modalities::resize_short_side(pattern(300, 611), 256);
  EXPECT_EQ(tall.width, 256);
  EXPECT_EQ(tall.height, 521);
  // CenterCrop: round((W - w) / 2) with ties to even: 227 -> 224 starts at 2, 225 -> 224 at 0.
  const auto base = pattern(227, 225);
  const auto c = unirep::modalities::center_crop(base, 224, 224);
  EXPECT_EQ(std::memcmp(c.at(0, 0), base.at(0, 2), 3), 0);
  // A crop larger than the image pads with black, (w - W) // 2 on the left.
  const auto padded = unirep::modalities::center_crop(pattern(10, 10), 13, 10);
  EXPECT_EQ(padded.at(0, 0)[0], 0);
  EXPECT_EQ(std::memcmp(padded.at(3, 1), pattern(10, 10).at(3, 0), 3), 0);
}

// The official transform, computed by PIL + torchvision on the same files: equal on lossless
// images (both resizes are the same integer arithmetic), within a few levels on JPEG (libjpeg and
// FFmpeg decode differently) and lossy WebP (libwebp's chroma upsampling differs).
TEST(ImageTransform, MatchesPilAndTorchvision) {
  REQUIRE_FFMPEG();
  REQUIRE_PIL();
  TempDir d;
  run_ok(ffmpeg("-f lavfi -i testsrc2=size=517x389 -frames:v 1 " + d.file("a.png")));
  run_ok(ffmpeg("-f lavfi -i mandelbrot=size=300x611 -frames:v 1 -pix_fmt rgba " + d.file("b.png")));
  run_ok(ffmpeg("-f lavfi -i testsrc2=size=150x180 -frames:v 1 -pix_fmt gray " + d.file("c.png")));
  run_ok(ffmpeg("-f lavfi -i testsrc2=size=401x257 -frames:v 1 -pix_fmt rgb48be " + d.file("d.png")));
  run_ok(ffmpeg("-i " + d.file("b.png") + " -q:v 3 " + d.file("e.jpg")));
  const std::string script =
      "import sys, numpy as np\n"
      "from PIL import Image\n"
      "from torchvision import transforms as T\n"
      "path, size, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]\n"
      "B = T.InterpolationMode.BICUBIC\n"
      "r = [T.Resize((size, size), interpolation=B)] if size >= 384 else [T.Resize(int(size / 0.875), "
      "interpolation=B), T.CenterCrop(size)]\n"
      "t = T.Compose(r + [T.ToTensor(), T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])\n"
      "np.save(out, t(Image.open(path).convert('RGB')).numpy())\n";
  unirep::testing::write_bytes(d.file("ref.py"), script);
  for (const std::string name : {"a.png", "b.png", "c.png", "d.png", "e.jpg"})
    for (int size : {224, 192, 384}) {
      SCOPED_TRACE(name + " @" + std::to_string(size));
      const std::string ref = d.file(name + std::to_string(size) + ".npy");
      run_ok(python_with_pil() + " " + d.file("ref.py") + " " + d.file(name) + " " + std::to_string(size) + " " + ref);
      unirep::modalities::ImageTransformOptions o;
      o.size = size;
      const auto ours = unirep::modalities::load_image_input(d.file(name), o);
      const auto theirs = unirep::io::read_npy(ref);
      ASSERT_EQ(ours.sizes(), theirs.sizes());
      // In 8-bit levels: one level is 1 / (255 * std), std about 0.226.
      const auto levels = (ours - theirs).abs() * (255.0 * 0.226);
      if (name == "e.jpg") {
        EXPECT_LT(levels.mean().item<double>(), 0.1);
        EXPECT_LE(levels.max().item<double>(), 4.0);
      } else {
        EXPECT_EQ(levels.max().item<double>(), 0.0);
      }
    }
}

TEST(ImageDecode, ExifOrientationMatchesPilExifTranspose) {
  REQUIRE_PIL();
  TempDir d;
  const std::string script =
      "import sys, numpy as np\n"
      "from PIL import Image, ImageOps\n"
      "o = sys.argv[1]\n"
      "a = (np.arange(31 * 20 * 3) % 251).astype(np.uint8).reshape(20, 31, 3)\n"
      "for k in range(1, 9):\n"
      "    e = Image.Exif(); e[0x0112] = k\n"
      "    Image.fromarray(a).save(f'{o}/o{k}.png', exif=e.tobytes())\n"
      "    Image.fromarray(a).save(f'{o}/o{k}.jpg', quality=95, exif=e.tobytes())\n"
      "    t = ImageOps.exif_transpose(Image.open(f'{o}/o{k}.jpg')).convert('RGB')\n"
      "    np.save(f'{o}/o{k}.npy', np.asarray(t).astype(np.float32))\n";
  unirep::testing::write_bytes(d.file("exif.py"), script);
  run_ok(python_with_pil() + " " + d.file("exif.py") + " " + d.path());
  unirep::modalities::ImageDecodeOptions rotate;
  rotate.exif_rotate = true;
  for (int k = 1; k <= 8; ++k) {
    SCOPED_TRACE("orientation " + std::to_string(k));
    const std::string jpg = d.file("o" + std::to_string(k) + ".jpg");
    const auto plain =
        unirep::modalities::decode_image(jpg);  // default: the tag is ignored, as the official pipeline does
    EXPECT_EQ(plain.width, 31);
    const auto im = unirep::modalities::decode_image(jpg, rotate);
    const auto ref = unirep::io::read_npy(d.file("o" + std::to_string(k) + ".npy"));
    ASSERT_EQ(ref.size(0), im.height);
    ASSERT_EQ(ref.size(1), im.width);
    auto ours =
        at::from_blob(const_cast<uint8_t*>(im.pixels.data()), {im.height, im.width, 3}, at::kByte).to(at::kFloat);
    EXPECT_LE((ours - ref).abs().mean().item<double>(), 3.0);  // JPEG decoders differ a little
  }
}

TEST(ImageLabels, ImageNetNamesAreBuiltIn) {
  const auto& names = unirep::sdk::imagenet1k_labels();
  ASSERT_EQ(names.size(), 1000u);
  EXPECT_EQ(names[0], "tench");
  EXPECT_EQ(names[1], "goldfish");
  EXPECT_EQ(names[999], "toilet tissue");
  TempDir d;
  unirep::testing::write_bytes(d.file("l.txt"), "cat\ndog\n\n");
  EXPECT_EQ(unirep::sdk::read_label_file(d.file("l.txt")), (std::vector<std::string>{"cat", "dog"}));
  unirep::testing::write_bytes(d.file("gap.txt"), "cat\n\ndog\n");
  EXPECT_THROW(unirep::sdk::read_label_file(d.file("gap.txt")), std::runtime_error);
}

// The whole CLI path with the official-format A checkpoint (random weights, 1000 classes):
// preprocess writes the transform's tensor, classify-image gives the same top class as running
// the backbone on that tensor, and a bad file among good ones is reported without hiding the rest.
TEST(ClassifyImageCli, OfficialCheckpointTopClassesAndBadFiles) {
  UNIREP_REQUIRE_FIXTURES();
  REQUIRE_FFMPEG();
  TempDir d;
  run_ok(ffmpeg("-f lavfi -i testsrc2=size=320x240 -frames:v 1 " + d.file("a.png")));
  run_ok(ffmpeg("-f lavfi -i mandelbrot=size=200x300 -frames:v 1 " + d.file("b.jpg")));
  auto r = unirep::testing::run_cli({"preprocess", "image", d.file("a.png"), "--output-npy", d.file("a.npy")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto x = unirep::io::read_npy(d.file("a.npy"));
  ASSERT_EQ(x.sizes(), (at::IntArrayRef{3, 224, 224}));
  unirep::io::write_npy(d.file("batch.npy"), x.unsqueeze(0));
  const std::string weights = unirep::testing::fixture("backbone/unireplknet_a.train.pth");
  r = unirep::testing::run_cli(
      {"infer", "--model", "a", "--weights", weights, "-i", d.file("batch.npy"), "-o", d.file("logits.npy")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const int64_t top = unirep::io::read_npy(d.file("logits.npy"))[0].argmax().item<int64_t>();

  unirep::testing::write_bytes(d.file("bad.png"), "not a picture");
  r = unirep::testing::run_cli({"classify-image", d.file("a.png"), d.file("bad.png"), d.file("b.jpg"), "--model", "a",
                                "--weights", weights, "--json", "--top-k", "3", "--threads", "2"});
  EXPECT_EQ(r.exit_code, 1) << r.output;  // one file failed
  EXPECT_NE(r.output.find("bad.png: not an image"), std::string::npos) << r.output;
  std::istringstream lines(r.output);
  std::vector<nlohmann::json> results;
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] == '{') results.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(results.size(), 2u) << r.output;
  EXPECT_EQ(results[0]["file"], d.file("a.png"));
  ASSERT_EQ(results[0]["top"].size(), 3u);
  EXPECT_EQ(results[0]["top"][0]["index"].get<int64_t>(), top);
  EXPECT_EQ(results[0]["top"][0]["label"].get<std::string>(),
            unirep::sdk::imagenet1k_labels()[static_cast<size_t>(top)]);
  EXPECT_GE(results[0]["top"][0]["score"].get<double>(), results[0]["top"][1]["score"].get<double>());
  EXPECT_EQ(results[1]["file"], d.file("b.jpg"));

  r = unirep::testing::run_cli({"preprocess", "image", d.file("bad.png"), "--output-npy", d.file("bad.npy")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(unirep::testing::file_exists(d.file("bad.npy")));
}

}  // namespace

namespace {
// Dense-task features: the four stage maps of an image equal `infer --output features` on its
// preprocessed tensor; the dense input keeps the aspect ratio and pads to multiples of 32.
TEST(FeaturesCli, StageMapsOfAnImageAndTheDenseInput) {
  UNIREP_REQUIRE_FIXTURES();
  REQUIRE_FFMPEG();
  TempDir d;
  run_ok(ffmpeg("-f lavfi -i testsrc2=size=320x240 -frames:v 1 " + d.file("a.png")));
  const std::string weights = unirep::testing::fixture("backbone/unireplknet_a.train.pth");
  auto r = unirep::testing::run_cli({"features", d.file("a.png"), "--model", "a", "--weights", weights, "--output-npy",
                                     d.file("f.npy"), "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no norm0..norm3"), std::string::npos) << r.output;  // a classification checkpoint
  r = unirep::testing::run_cli({"preprocess", "image", d.file("a.png"), "--output-npy", d.file("x.npy")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  unirep::io::write_npy(d.file("batch.npy"), unirep::io::read_npy(d.file("x.npy")).unsqueeze(0));
  r = unirep::testing::run_cli({"infer", "--model", "a", "--weights", weights, "-i", d.file("batch.npy"), "-o",
                                d.file("ref.npy"), "--output", "features"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const int64_t side[4] = {56, 28, 14, 7}, dims[4] = {40, 80, 160, 320};
  for (int i = 0; i < 4; ++i) {
    const auto ours = unirep::io::read_npy(d.file("f.stage" + std::to_string(i) + ".npy"));
    const auto ref = unirep::io::read_npy(d.file("ref.stage" + std::to_string(i) + ".npy"));
    EXPECT_EQ(ours.sizes(), (at::IntArrayRef{1, dims[i], side[i], side[i]}));
    EXPECT_TRUE(unirep::testing::within_fixture_tolerance(ours, ref));
  }
  // 320 x 240 to fit 200 x 150: 200 x 150, padded to 224 x 160 (strides 4..32: 56 x 40 ... 7 x 5).
  r = unirep::testing::run_cli({"features", d.file("a.png"), "--model", "a", "--weights", weights, "--output-npy",
                                d.file("dense"), "--dense", "200x150"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("input 3 x 160 x 224"), std::string::npos) << r.output;
  EXPECT_EQ(unirep::io::read_npy(d.file("dense.stage3.npy")).sizes(), (at::IntArrayRef{1, 320, 5, 7}));
  r = unirep::testing::run_cli({"features", d.file("a.png"), "--model", "a", "--weights", weights, "--output-npy",
                                d.file("bad"), "--dense", "200by150"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--dense wants LONGxSHORT"), std::string::npos) << r.output;
  EXPECT_FALSE(unirep::testing::file_exists(d.file("bad.stage0.npy")));
}
}  // namespace
