// Pixel format conversion of decoded frames: 16-bit formats by hand (keeping the high byte, as
// PIL does for 16-bit RGB), everything else through libswscale (exact for 8-bit RGB-family, grey
// and palette formats; alpha dropped), YUV with the frame's own matrix and range.
#include "frame_to_rgb.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <cstring>
#include <stdexcept>
#include <vector>

namespace unirep::modalities {
namespace {

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw std::runtime_error(name + ": " + what);
}

uint16_t sample16(const uint8_t* p, bool big_endian) {
  return big_endian ? static_cast<uint16_t>(p[0] << 8 | p[1]) : static_cast<uint16_t>(p[1] << 8 | p[0]);
}

// 16-bit formats by hand (high byte, as PIL keeps for 16-bit RGB); false for any other format.
bool convert_16bit(const AVFrame* f, RgbImage& out) {
  const auto fmt = static_cast<AVPixelFormat>(f->format);
  int channels = 0;  // samples per pixel in the source
  bool grey = false, big = false;
  switch (fmt) {
    case AV_PIX_FMT_GRAY16LE:
      channels = 1, grey = true;
      break;
    case AV_PIX_FMT_GRAY16BE:
      channels = 1, grey = true, big = true;
      break;
    case AV_PIX_FMT_YA16LE:
      channels = 2, grey = true;
      break;
    case AV_PIX_FMT_YA16BE:
      channels = 2, grey = true, big = true;
      break;
    case AV_PIX_FMT_RGB48LE:
      channels = 3;
      break;
    case AV_PIX_FMT_RGB48BE:
      channels = 3, big = true;
      break;
    case AV_PIX_FMT_RGBA64LE:
      channels = 4;
      break;
    case AV_PIX_FMT_RGBA64BE:
      channels = 4, big = true;
      break;
    default:
      return false;
  }
  for (int y = 0; y < out.height; ++y) {
    const uint8_t* row = f->data[0] + static_cast<ptrdiff_t>(y) * f->linesize[0];
    for (int x = 0; x < out.width; ++x) {
      const uint8_t* p = row + static_cast<size_t>(x) * channels * 2;
      uint8_t* o = out.at(y, x);
      for (int c = 0; c < 3; ++c) o[c] = static_cast<uint8_t>(sample16(p + (grey ? 0 : 2 * c), big) >> 8);
    }
  }
  return true;
}

// Everything else through libswscale (exact for 8-bit RGB-family, grey and palette formats; alpha
// is dropped, as swscale does by default). YUV uses the frame's matrix and range.
void convert_swscale(const AVFrame* f, const std::string& name, SwsContext** sws, RgbImage& out, YuvConversion yuv) {
  auto fmt = static_cast<AVPixelFormat>(f->format);
  // The colour fields come from the bitstream unchecked: a file can put any number there (found by
  // fuzzing, UBSan: colorspace 32), and loading such a value as the enum type is undefined, so
  // they are read as plain ints.
  int range = 0, space = 0;
  static_assert(sizeof(f->color_range) == sizeof(int) && sizeof(f->colorspace) == sizeof(int));
  std::memcpy(&range, &f->color_range, sizeof range);
  std::memcpy(&space, &f->colorspace, sizeof space);
  bool full_range = range == AVCOL_RANGE_JPEG;
  // The deprecated "J" formats mean full-range YUV; swscale wants the plain format plus the range.
  switch (fmt) {
    case AV_PIX_FMT_YUVJ420P:
      fmt = AV_PIX_FMT_YUV420P, full_range = true;
      break;
    case AV_PIX_FMT_YUVJ422P:
      fmt = AV_PIX_FMT_YUV422P, full_range = true;
      break;
    case AV_PIX_FMT_YUVJ444P:
      fmt = AV_PIX_FMT_YUV444P, full_range = true;
      break;
    case AV_PIX_FMT_YUVJ440P:
      fmt = AV_PIX_FMT_YUV440P, full_range = true;
      break;
    case AV_PIX_FMT_YUVJ411P:
      fmt = AV_PIX_FMT_YUV411P, full_range = true;
      break;
    default:
      break;
  }
  *sws = sws_getCachedContext(*sws, out.width, out.height, fmt, out.width, out.height, AV_PIX_FMT_RGB24,
                              yuv == YuvConversion::Interpolated
                                  ? SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP
                                  : SWS_BICUBIC,
                              nullptr, nullptr, nullptr);
  if (!*sws)
    fail(name, std::string("cannot convert pixel format ") +
                   (av_get_pix_fmt_name(fmt) ? av_get_pix_fmt_name(fmt) : "?") + " to RGB");
  const auto* desc = av_pix_fmt_desc_get(fmt);
  if (desc && !(desc->flags & AV_PIX_FMT_FLAG_RGB) && !(desc->flags & AV_PIX_FMT_FLAG_PAL) &&
      desc->nb_components >= 3) {
    // sws_getCoefficients maps unknown values to its default (BT.601).
    const int* coeffs =
        sws_getCoefficients(space == AVCOL_SPC_UNSPECIFIED || space == AVCOL_SPC_RGB ? SWS_CS_ITU601 : space);
    sws_setColorspaceDetails(*sws, coeffs, full_range ? 1 : 0, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16,
                             1 << 16);
  }
  // swscale's vector code writes whole blocks past the end of a row (and of the image), so it
  // writes into a padded buffer with 64-byte aligned rows; the rows are then copied out.
  const size_t row = static_cast<size_t>(out.width) * 3;
  const size_t stride = (row + 63) / 64 * 64 + 64;
  std::vector<uint8_t> padded(stride * static_cast<size_t>(out.height) + 256);
  uint8_t* dst[4] = {padded.data(), nullptr, nullptr, nullptr};
  int dst_stride[4] = {static_cast<int>(stride), 0, 0, 0};
  const int rows = sws_scale(*sws, f->data, f->linesize, 0, out.height, dst, dst_stride);
  if (rows != out.height) fail(name, "pixel format conversion failed");
  for (int y = 0; y < out.height; ++y) std::memcpy(out.pixels.data() + y * row, padded.data() + y * stride, row);
}

}  // namespace

void frame_to_rgb(const AVFrame* frame, const std::string& name, SwsContext** sws, RgbImage& out, YuvConversion yuv) {
  out.width = frame->width;
  out.height = frame->height;
  if (out.width <= 0 || out.height <= 0) fail(name, "the decoder returned an empty picture");
  out.pixels.resize(static_cast<size_t>(out.width) * out.height * 3);
  if (!convert_16bit(frame, out)) convert_swscale(frame, name, sws, out, yuv);
}

}  // namespace unirep::modalities
