// Bounded work on video (docs/video.md, Limits): the views made from the crops of each frame as it is
// decoded equal the views made the old way (all frames decoded, resized whole, then cut), and
// anything but a regular file is refused at once with its own message.
#include "modalities/image/opencv_resize.h"
#include "modalities/image/pil_resize.h"
#include "modalities/video/frame_sampling.h"
#include "modalities/video/video_reader.h"
#include "modalities/video/video_transform.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "support/test_support.h"

namespace {
bool have_ffmpeg() {
  return std::system("ffmpeg -version >/dev/null 2>&1") == 0;
}

std::string error_of(const std::string& path) {
  try {
    unirep::modalities::VideoReader r(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// The views as they were made before frames were cropped while decoding: every frame resized whole.
at::Tensor reference_validation_view(unirep::modalities::VideoReader& reader,
                                     const unirep::modalities::VideoTransformOptions& o) {
  auto frames = reader.frames(unirep::modalities::validation_indices(reader.info().frames, o.sampling));
  for (auto& f : frames)
    f = unirep::modalities::center_crop(unirep::modalities::opencv_resize_short_side(f, o.size), o.size, o.size);
  return unirep::modalities::clip_to_backbone_image(unirep::modalities::frames_to_clip(frames, o));
}

at::Tensor reference_test_views(unirep::modalities::VideoReader& reader,
                                const unirep::modalities::VideoTransformOptions& o) {
  auto frames = reader.frames(unirep::modalities::test_indices(reader.info().frames, o.sampling));
  for (auto& f : frames) f = unirep::modalities::opencv_resize_short_side(f, o.size);
  const int W = frames[0].width, H = frames[0].height;
  const bool tall = H >= W;
  const auto sampled = static_cast<int64_t>(frames.size());
  std::vector<at::Tensor> views;
  for (int64_t c = 0; c < o.sampling.temporal_views; ++c) {
    const int64_t t0 = unirep::modalities::temporal_view_start(sampled, c, o.sampling);
    for (int64_t k = 0; k < o.sampling.spatial_views; ++k) {
      const int64_t s0 = unirep::modalities::spatial_view_start(tall ? H : W, o.size, k, o.sampling);
      std::vector<unirep::modalities::RgbImage> clip;
      for (int64_t t = t0; t < t0 + o.sampling.clip_len && t < sampled; ++t) {
        const auto& f = frames[static_cast<size_t>(t)];
        unirep::modalities::RgbImage cut;
        cut.width = tall ? W : o.size;
        cut.height = tall ? o.size : H;
        cut.pixels.resize(static_cast<size_t>(cut.width) * cut.height * 3);
        for (int y = 0; y < cut.height; ++y)
          std::copy_n(f.at(static_cast<int>(tall ? y + s0 : y), static_cast<int>(tall ? 0 : s0)),
                      static_cast<size_t>(cut.width) * 3, cut.at(y, 0));
        clip.push_back(std::move(cut));
      }
      views.push_back(unirep::modalities::clip_to_backbone_image(unirep::modalities::frames_to_clip(clip, o)));
    }
  }
  return at::stack(views);
}

TEST(BoundedVideo, CroppedWhileDecodingEqualsTheWholeResize) {
  if (!have_ffmpeg()) GTEST_SKIP() << "the ffmpeg program is missing";
  unirep::testing::TempDir d;
  for (const std::string size : {"96x54", "40x72", "56x56"}) {  // wide, tall, square
    const std::string path = d.file("clip_" + size + ".mp4");
    ASSERT_EQ(std::system(("ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc2=s=" + size +
                           ":rate=25 -frames:v 40 -c:v libx264 " + "-pix_fmt yuv420p " + path + " >/dev/null 2>&1")
                              .c_str()),
              0);
    unirep::modalities::VideoTransformOptions o;
    o.size = 32;
    o.sampling.clip_len = 4;
    o.sampling.sampling_rate = 2;
    unirep::modalities::VideoReader reader(path);
    EXPECT_TRUE(unirep::modalities::validation_view(reader, o).equal(reference_validation_view(reader, o))) << size;
    EXPECT_TRUE(unirep::modalities::test_views(reader, o).equal(reference_test_views(reader, o))) << size;
    o.size = 54;  // the short side already has the size: frames left as they are, then cut
    if (size == "96x54")
      EXPECT_TRUE(unirep::modalities::validation_view(reader, o).equal(reference_validation_view(reader, o)));
  }
}

TEST(BoundedVideo, OnlyRegularFilesAreRead) {
  unirep::testing::TempDir d;
  EXPECT_EQ(error_of("/dev/zero"),
            "/dev/zero: is not a regular file (a pipe, FIFO, device or standard input); videos are read from regular "
            "files only");
  const std::string fifo = d.file("nobody.mp4");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NE(error_of(fifo).find(fifo + ": is not a regular file"), std::string::npos);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
            2.0);  // no wait for a writer
  ASSERT_EQ(::symlink("loop.mp4", d.file("loop.mp4").c_str()), 0);
  EXPECT_EQ(error_of(d.file("loop.mp4")), d.file("loop.mp4") + ": a loop of symbolic links (it points back to itself)");
  EXPECT_NE(error_of("-").find("-: is not a regular file"), std::string::npos);
}

}  // namespace
