#pragma once
// A labelled video dataset made with FFmpeg's own sources and filters, since no video benchmark
// can be downloaded: a still texture (cellular automaton, Mandelbrot set, colour waves, test
// charts, each with a random hue) that the clip's motion moves. The class is the motion (pan left,
// right, up, down; rotate clockwise, counter-clockwise; zoom in, out; still), so no single frame
// can tell it. Random speed, frame rate, length, size and orientation, temporal noise, and a random
// container/codec (MP4 and MKV with H.264, AVI with MPEG-4, WebM with VP8).
// Written in the ImageNet layout: OUT/train/<class>/*.ext and OUT/test/<class>/*.ext. Needs the
// ffmpeg program.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace unirep::data_makers {

struct MotionDataOptions {
  std::string out_dir;
  int clips_per_class = 40;  // test_fraction of them go to test
  double test_fraction = 0.25;
  uint64_t seed = 0;
  int threads = 0;  // ffmpeg processes at once (0: all cores)
};

const std::vector<std::string>& motion_classes();

struct MotionDataSummary {
  size_t train = 0, test = 0;
  bool reused = false;
};

// Deterministic for a seed whatever the thread count (each clip's settings derive from (seed, clip)).
// Built in a hidden staging folder beside OUT and renamed onto OUT when complete (staging_folder.h),
// so a failed or stopped run leaves neither. Throws std::runtime_error when ffmpeg is missing or
// fails, or when OUT holds something other than this data set.
MotionDataSummary generate_motion_dataset(const MotionDataOptions& options,
                                          const std::function<void(size_t, size_t)>& progress = {});

}  // namespace unirep::data_makers
