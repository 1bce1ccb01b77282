#pragma once
// Video files to RGB frames through FFmpeg: any container on the whitelist (MP4/MOV, Matroska/WebM,
// AVI, FLV, MPEG-TS/PS, Ogg, ASF, NUT, MXF, raw H.264/HEVC/MPEG-4, GIF, ...) and any codec FFmpeg
// decodes. Frames are addressed by index in presentation order, as decord (the official loader)
// addresses them.
//
// Opening indexes the file once (a demux pass, no decoding): the frame count is the number of
// video packets and each frame's timestamp is known, so reading frames at given indices seeks to
// the keyframe before the first one and decodes forward only as far as the last one. Files whose
// packets lack timestamps are decoded from the start instead.
//
// Only regular files are read (docs/video.md, Limits): FFmpeg seeks in the file it opens, and a
// pipe, FIFO or device (/dev/zero) would be read without end or block, so they are refused with a
// clear message, as are missing files, symbolic-link loops and directories. A regular video file
// has no size limit: it is streamed, never held whole; its frame count and each frame's pixels are
// limited instead (VideoReaderOptions).
//
// Every error is a std::runtime_error whose message starts with the file's path.
#include "modalities/image/rgb_image.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace unirep::modalities {

struct VideoInfo {
  int width = 0, height = 0;
  int64_t frames = 0;     // video packets in the file (decord's len(vr))
  double fps = 0;         // average frame rate the container states (0 if unknown)
  std::string container;  // FFmpeg's demuxer name
  std::string codec;      // e.g. "h264", "mpeg4", "vp9"
};

struct VideoReaderOptions {
  int64_t max_frames = 1000000;        // refuse longer videos when opening
  int64_t max_pixels = 8192LL * 8192;  // per frame
};

class VideoReader {
 public:
  explicit VideoReader(const std::string& path, const VideoReaderOptions& options = {});
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  const VideoInfo& info() const;
  // The frames at `indices` (each in [0, frames)), in the order asked; repeats allowed.
  std::vector<RgbImage> frames(const std::vector<int64_t>& indices);
  // Each distinct frame of `indices`, handed to `visit` with its index as soon as it is decoded (a
  // frame may be handed again when decoding has to restart from the start of the file). A caller
  // that keeps only what it makes of each frame (a crop, a resize) holds one decoded frame at a time
  // instead of all of them (docs/video.md, Limits).
  void visit_frames(const std::vector<int64_t>& indices,
                    const std::function<void(int64_t index, const RgbImage& frame)>& visit);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unirep::modalities
