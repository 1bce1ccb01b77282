#pragma once
// Internal to modalities/: a decoded FFmpeg frame (any pixel format) to 8-bit RGB, shared by the
// image decoder and the video reader so stills and video frames convert the same way.
#include "modalities/image/rgb_image.h"

extern "C" {
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

#include <string>

namespace unirep::modalities {

// How YUV becomes RGB: `Interpolated` (chroma interpolated, accurate rounding) is closest to what
// libjpeg gives PIL for JPEG stills; `FfmpegDefault` is FFmpeg's default conversion (what the
// ffmpeg program, PyAV, torchvision.io and decord, the official video loader, produce).
enum class YuvConversion { Interpolated, FfmpegDefault };

// Fills `out` (width, height, pixels) from `frame`. `sws` caches the conversion context between
// calls (free it with sws_freeContext). Throws std::runtime_error "NAME: ..." when the pixel
// format cannot be converted.
void frame_to_rgb(const AVFrame* frame, const std::string& name, SwsContext** sws, RgbImage& out,
                  YuvConversion yuv = YuvConversion::Interpolated);

}  // namespace unirep::modalities
