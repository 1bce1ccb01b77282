// Bounded work on images (docs/images.md, Limits): the windowed resizes equal the crop of the whole
// resize byte for byte (so the evaluation transform is unchanged), a 1 x 65535 image goes through
// the evaluation transform without its 256 x 16776960 resize, resizes above the limit are refused,
// and the pixel limit comes from max_pixels, UNIREP_MAX_IMAGE_PIXELS or the default, in that order.
#include "modalities/image/image_decode.h"
#include "modalities/image/image_transform.h"
#include "modalities/image/opencv_resize.h"
#include "modalities/image/pil_resize.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "support/test_support.h"

namespace {
unirep::modalities::RgbImage noise(int w, int h, std::mt19937& rng) {
  unirep::modalities::RgbImage im;
  im.width = w, im.height = h;
  im.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (auto& v : im.pixels) v = static_cast<uint8_t>(rng() % 256);
  return im;
}

unirep::modalities::RgbImage window(const unirep::modalities::RgbImage& in, int left, int top, int w, int h) {
  unirep::modalities::RgbImage out;
  out.width = w, out.height = h;
  out.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) std::copy_n(in.at(top + y, left), static_cast<size_t>(w) * 3, out.at(y, 0));
  return out;
}

// RAII for an environment variable set during one test.
struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }
  const char* name_;
};

TEST(BoundedResize, PilWindowsEqualTheCropOfTheWholeResize) {
  std::mt19937 rng(7);
  for (int t = 0; t < 150; ++t) {
    const auto im = noise(1 + static_cast<int>(rng() % 200), 1 + static_cast<int>(rng() % 200), rng);
    const auto filter =
        t % 2 ? unirep::modalities::ResampleFilter::Bicubic : unirep::modalities::ResampleFilter::Bilinear;
    const int w = 1 + static_cast<int>(rng() % 200), h = 1 + static_cast<int>(rng() % 200);
    const auto whole = unirep::modalities::pil_resize(im, w, h, filter);
    const int cw = 1 + static_cast<int>(rng() % w), ch = 1 + static_cast<int>(rng() % h);
    const int left = static_cast<int>(rng() % (w - cw + 1)), top = static_cast<int>(rng() % (h - ch + 1));
    ASSERT_EQ(unirep::modalities::pil_resize_crop(im, w, h, left, top, cw, ch, filter).pixels,
              window(whole, left, top, cw, ch).pixels)
        << t;
    const int size = 1 + static_cast<int>(rng() % 200);
    const int crop = 1 + static_cast<int>(rng() % (size + 20));  // larger than the short side: padded
    ASSERT_EQ(
        unirep::modalities::resize_short_side_center_crop(im, size, crop, crop, filter).pixels,
        unirep::modalities::center_crop(unirep::modalities::resize_short_side(im, size, filter), crop, crop).pixels)
        << t;
  }
}

TEST(BoundedResize, OpencvWindowsEqualTheCropOfTheWholeResize) {
  std::mt19937 rng(8);
  for (int t = 0; t < 150; ++t) {
    const auto im = noise(1 + static_cast<int>(rng() % 200), 1 + static_cast<int>(rng() % 200), rng);
    const int size =
        t % 5 == 0 ? std::min(im.width, im.height) : 1 + static_cast<int>(rng() % 200);  // also "left as it is"
    const auto whole = unirep::modalities::opencv_resize_short_side(im, size);
    const int cw = 1 + static_cast<int>(rng() % whole.width), ch = 1 + static_cast<int>(rng() % whole.height);
    const int left = static_cast<int>(rng() % (whole.width - cw + 1)),
              top = static_cast<int>(rng() % (whole.height - ch + 1));
    ASSERT_EQ(unirep::modalities::opencv_resize_short_side_crop(im, size, left, top, cw, ch).pixels,
              window(whole, left, top, cw, ch).pixels)
        << t;
  }
}

// The 1 x 65535 decompression bomb (docs/images.md, Limits): its evaluation transform is the
// 224 x 224 crop, made from the few rows it needs.
TEST(BoundedResize, TallThinImageGoesThroughTheEvaluationTransform) {
  unirep::modalities::RgbImage tall;
  tall.width = 1, tall.height = 65535;
  tall.pixels.assign(65535 * 3, 0);
  for (int y = 0; y < tall.height; ++y) tall.at(y, 0)[0] = static_cast<uint8_t>(y % 251);
  const auto out = unirep::modalities::eval_resize(tall);
  EXPECT_EQ(out.width, 224);
  EXPECT_EQ(out.height, 224);
  // The crop is the middle of the column, stretched: every column of the crop is the same.
  for (int y = 0; y < 224; y += 37) EXPECT_EQ(out.at(y, 0)[0], out.at(y, 223)[0]);
  unirep::modalities::ImageTransformOptions warp;
  warp.size = 384;
  EXPECT_EQ(unirep::modalities::eval_resize(tall, warp).height, 384);
}

TEST(BoundedResize, WholeResizesAboveTheLimitAreRefused) {
  unirep::modalities::RgbImage tall;
  tall.width = 1, tall.height = 65535;
  tall.pixels.assign(65535 * 3, 9);
  try {
    unirep::modalities::resize_short_side(tall, 256);
    FAIL() << "a 256 x 16776960 resize was made";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "resizing 1 x 65535 to a short side of 256 would make 256 x 16776960 pixels, more than the limit of 178956970");
  }
  EXPECT_THROW(unirep::modalities::opencv_resize_short_side(tall, 3000), std::invalid_argument);
  EXPECT_THROW(unirep::modalities::pil_resize(tall, 20000, 20000), std::invalid_argument);
}

TEST(ImagePixelLimit, ComesFromTheOptionTheVariableOrTheDefault) {
  unsetenv(unirep::modalities::kMaxImagePixelsVariable);
  unirep::modalities::ImageDecodeOptions o;
  EXPECT_EQ(unirep::modalities::max_image_pixels(o), unirep::modalities::kDefaultMaxImagePixels);
  {
    ScopedEnv env(unirep::modalities::kMaxImagePixelsVariable, "5000");
    EXPECT_EQ(unirep::modalities::max_image_pixels(o), 5000);
    o.max_pixels = 77;  // the option wins
    EXPECT_EQ(unirep::modalities::max_image_pixels(o), 77);
    o.max_pixels = 0;
  }
  for (const char* bad : {"", "0", "-5", "12x", "1e6", "99999999999999999999999"}) {
    ScopedEnv env(unirep::modalities::kMaxImagePixelsVariable, bad);
    EXPECT_THROW(unirep::modalities::max_image_pixels(o), std::invalid_argument) << bad;
  }
}

TEST(ImagePixelLimit, RefusesFromTheHeaderNamingTheVariable) {
  if (std::system("ffmpeg -version >/dev/null 2>&1") != 0) GTEST_SKIP() << "the ffmpeg program is missing";
  unirep::testing::TempDir d;
  const std::string png = d.file("a.png");
  ASSERT_EQ(
      std::system(("ffmpeg -nostdin -loglevel error -y -f lavfi -i color=c=red:s=40x30 -frames:v 1 " + png).c_str()),
      0);
  ScopedEnv env(unirep::modalities::kMaxImagePixelsVariable, "1199");
  try {
    unirep::modalities::decode_image(png);
    FAIL() << "decoded over the limit";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              png + ": the image is 40 x 30 pixels, more than the limit of 1199 pixels set by UNIREP_MAX_IMAGE_PIXELS");
  }
  setenv(unirep::modalities::kMaxImagePixelsVariable, "1200", 1);
  EXPECT_EQ(unirep::modalities::decode_image(png).width, 40);
}

TEST(ImageDecode, NonRegularInputsAreBounded) {
  unirep::modalities::ImageDecodeOptions o;
  o.max_file_bytes = 1 << 20;
  try {
    unirep::modalities::decode_image("/dev/zero", o);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "/dev/zero: is not a regular file and gave more than the limit of 1048576 bytes (1 MiB) without ending");
  }
}

}  // namespace
