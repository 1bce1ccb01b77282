// Still images through FFmpeg, from bytes in memory: a custom AVIOContext means only the content
// probes of FFmpeg's image demuxers can pick the format (the image2 demuxer, which goes by file
// name and expands "%d" patterns, never sees a name), and only demuxers on the whitelist may.
#include "modalities/image/image_decode.h"

#include "../ffmpeg/ffmpeg_support.h"
#include "frame_to_rgb.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}

#include "modalities/input/input_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace unirep::modalities {
namespace {
using modalities::av_error;
using modalities::OversizePicture;
using modalities::quiet_ffmpeg_logging;

constexpr const char* kImageDemuxers =
    "png_pipe,jpeg_pipe,jpegls_pipe,bmp_pipe,webp_pipe,tiff_pipe,gif,apng,ppm_pipe,pgm_pipe,pbm_pipe,pam_pipe,"
    "pgmyuv_pipe,qoi_pipe,j2k_pipe,dds_pipe,dpx_pipe,exr_pipe,pcx_pipe,sgi_pipe,sunrast_pipe,xbm_pipe,xpm_pipe,"
    "xwd_pipe,psd_pipe,hdr_pipe,pictor_pipe,qdraw_pipe,gem_pipe,photocd_pipe,pgx_pipe,cri_pipe";

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw std::runtime_error(name + ": " + what);
}

// "more than the limit of N pixels", saying where N came from so the user knows what to change.
std::string pixel_limit_text(const ImageDecodeOptions& options, int64_t limit) {
  std::string text = "more than the limit of " + std::to_string(limit) + " pixels";
  if (options.max_pixels > 0) return text + " (max_pixels)";
  if (std::getenv(kMaxImagePixelsVariable)) return text + " set by " + kMaxImagePixelsVariable;
  return text + " (" + kMaxImagePixelsVariable + " sets another)";
}

// The encoded bytes, read by FFmpeg through the callbacks below.
struct MemoryReader {
  const uint8_t* data;
  size_t size;
  size_t pos = 0;

  static int read(void* opaque, uint8_t* buf, int n) {
    auto* r = static_cast<MemoryReader*>(opaque);
    const size_t left = r->size - r->pos;
    if (left == 0) return AVERROR_EOF;
    const size_t k = std::min(left, static_cast<size_t>(n));
    std::memcpy(buf, r->data + r->pos, k);
    r->pos += k;
    return static_cast<int>(k);
  }
  static int64_t seek(void* opaque, int64_t offset, int whence) {
    auto* r = static_cast<MemoryReader*>(opaque);
    if (whence == AVSEEK_SIZE) return static_cast<int64_t>(r->size);
    int64_t base = 0;
    switch (whence & ~AVSEEK_FORCE) {
      case SEEK_SET:
        base = 0;
        break;
      case SEEK_CUR:
        base = static_cast<int64_t>(r->pos);
        break;
      case SEEK_END:
        base = static_cast<int64_t>(r->size);
        break;
      default:
        return AVERROR(EINVAL);
    }
    const int64_t to = base + offset;
    if (to < 0 || to > static_cast<int64_t>(r->size)) return AVERROR(EINVAL);
    r->pos = static_cast<size_t>(to);
    return to;
  }
};

// Owns every FFmpeg object of one decode, so that each error path frees them.
struct Decoder {
  AVIOContext* io = nullptr;
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  AVPacket* packet = nullptr;
  AVFrame* frame = nullptr;
  SwsContext* sws = nullptr;
  ~Decoder() {
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
    if (format) avformat_close_input(&format);
    if (io) av_freep(&io->buffer);
    avio_context_free(&io);
  }
};

// EXIF Orientation 2..8 applied as PIL's ImageOps.exif_transpose does.
RgbImage orient(const RgbImage& in, int orientation) {
  if (orientation < 2 || orientation > 8) return in;
  const bool swap = orientation >= 5;
  RgbImage out;
  out.width = swap ? in.height : in.width;
  out.height = swap ? in.width : in.height;
  out.pixels.resize(in.pixels.size());
  const int W = in.width, H = in.height;
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      int sx = x, sy = y;
      switch (orientation) {
        case 2:
          sx = W - 1 - x;
          break;  // mirror left-right
        case 3:
          sx = W - 1 - x, sy = H - 1 - y;
          break;  // rotate 180
        case 4:
          sy = H - 1 - y;
          break;  // mirror top-bottom
        case 5:
          sx = y, sy = x;
          break;  // transpose
        case 6:
          sx = y, sy = H - 1 - x;
          break;  // rotate 90 clockwise
        case 7:
          sx = W - 1 - y, sy = H - 1 - x;
          break;  // transverse
        case 8:
          sx = W - 1 - y, sy = x;
          break;  // rotate 90 counter-clockwise
      }
      std::memcpy(out.at(y, x), in.at(sy, sx), 3);
    }
  return out;
}

int exif_orientation(const AVFrame* f) {
  if (const AVDictionaryEntry* e = av_dict_get(f->metadata, "Orientation", nullptr, 0)) {
    const int v = std::atoi(e->value);
    if (v >= 1 && v <= 8) return v;
  }
  return 1;
}

// FFmpeg checks a frame's pixels with its rows padded for SIMD (the width rounded up to 64), so an
// image within the limit can be refused when its width is not a multiple of 64: thrown with the
// padded size, to decode again with FFmpeg's check at that size (the limit itself stays exact).
struct RefusedForPaddedRows {
  int64_t padded_pixels;
};

// One decode, with the pixel limit `max_pixels` (ours, exact) and FFmpeg's check at ffmpeg_max_pixels.
RgbImage decode_with(const uint8_t* data, size_t size, const std::string& name, const ImageDecodeOptions& options,
                     int64_t max_pixels, int64_t ffmpeg_max_pixels) {
  OversizePicture oversize;
  Decoder d;
  MemoryReader reader{data, size};
  constexpr int kIoBuffer = 1 << 16;
  auto* buffer = static_cast<uint8_t*>(av_malloc(kIoBuffer));
  if (!buffer) fail(name, "out of memory");
  d.io = avio_alloc_context(buffer, kIoBuffer, 0, &reader, &MemoryReader::read, nullptr, &MemoryReader::seek);
  if (!d.io) {
    av_free(buffer);
    fail(name, "out of memory");
  }
  d.format = avformat_alloc_context();
  if (!d.format) fail(name, "out of memory");
  d.format->pb = d.io;
  d.format->flags |= AVFMT_FLAG_CUSTOM_IO;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "format_whitelist", kImageDemuxers, 0);
  int rc = avformat_open_input(&d.format, nullptr, nullptr, &opts);
  av_dict_free(&opts);
  if (rc < 0) {
    d.format = nullptr;  // freed by avformat_open_input on failure
    fail(name, "not an image (FFmpeg recognizes no image format in its bytes: " + av_error(rc) + ")");
  }
  const AVCodec* codec = nullptr;
  const int stream = av_find_best_stream(d.format, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (stream == AVERROR_DECODER_NOT_FOUND) fail(name, "no decoder for this image format in this FFmpeg build");
  if (stream < 0) fail(name, "not an image (no picture in it)");
  auto too_large = [&](int64_t w, int64_t h) {
    if (w > 0 && h > 0 && w * h > max_pixels)
      fail(name, "the image is " + std::to_string(w) + " x " + std::to_string(h) + " pixels, " +
                     pixel_limit_text(options, max_pixels));
  };
  // The size the demuxer read from the header, when it has one, decides before any decoding.
  too_large(d.format->streams[stream]->codecpar->width, d.format->streams[stream]->codecpar->height);
  d.codec = avcodec_alloc_context3(codec);
  if (!d.codec || avcodec_parameters_to_context(d.codec, d.format->streams[stream]->codecpar) < 0)
    fail(name, "cannot set up the image decoder");
  // FFmpeg refuses to allocate frames above max_pixels, so a header claiming 100000 x 100000
  // never becomes a 30 GB buffer (docs/images.md, Limits).
  d.codec->max_pixels = ffmpeg_max_pixels;
  d.codec->thread_count = 1;
  if ((rc = avcodec_open2(d.codec, codec, nullptr)) < 0) {
    too_large(oversize.width, oversize.height);
    fail(name, "cannot open the image decoder (" + av_error(rc) + ")");
  }
  d.packet = av_packet_alloc();
  d.frame = av_frame_alloc();
  if (!d.packet || !d.frame) fail(name, "out of memory");

  // Decoders refuse dimensions above max_pixels with EINVAL before telling their size, so that
  // error names both possible causes.
  auto decode_error = [&](int code) {
    const int64_t w = d.codec->width, h = d.codec->height;
    if (oversize.seen() && ffmpeg_max_pixels == max_pixels && w > 0 && h > 0 && w * h <= max_pixels &&
        oversize.height == h)
      throw RefusedForPaddedRows{oversize.width * oversize.height};
    too_large(oversize.width, oversize.height);
    too_large(d.codec->width, d.codec->height);
    if (code == AVERROR(EINVAL))
      fail(name, "corrupt image data, or " + pixel_limit_text(options, max_pixels) + " (" + av_error(code) + ")");
    fail(name, "corrupt image data (" + av_error(code) + ")");
  };
  bool got = false, draining = false;
  while (!got) {
    rc = avcodec_receive_frame(d.codec, d.frame);
    if (rc == 0) {
      got = true;
      break;
    }
    if (rc == AVERROR_EOF || (rc == AVERROR(EAGAIN) && draining)) break;
    if (rc != AVERROR(EAGAIN)) decode_error(rc);
    rc = av_read_frame(d.format, d.packet);
    if (rc == AVERROR_EOF) {
      draining = true;
      avcodec_send_packet(d.codec, nullptr);
      continue;
    }
    if (rc < 0) fail(name, "reading the image failed (" + av_error(rc) + ")");
    if (d.packet->stream_index == stream) {
      rc = avcodec_send_packet(d.codec, d.packet);
      if (rc < 0 && rc != AVERROR(EAGAIN)) {
        av_packet_unref(d.packet);
        decode_error(rc);
      }
    }
    av_packet_unref(d.packet);
  }
  if (!got) {
    too_large(oversize.width, oversize.height);
    too_large(d.codec->width, d.codec->height);
    fail(name, "no picture could be decoded (truncated or corrupt data)");
  }
  too_large(d.frame->width, d.frame->height);
  RgbImage out;
  frame_to_rgb(d.frame, name, &d.sws, out);
  if (options.exif_rotate) out = orient(out, exif_orientation(d.frame));
  return out;
}

}  // namespace

RgbImage decode_image_bytes(const uint8_t* data, size_t size, const std::string& name,
                            const ImageDecodeOptions& options) {
  if (size == 0) fail(name, "the file is empty");
  const int64_t max_pixels = max_image_pixels(options);
  quiet_ffmpeg_logging();
  try {
    return decode_with(data, size, name, options, max_pixels, max_pixels);
  } catch (const RefusedForPaddedRows& padded) {
    return decode_with(data, size, name, options, max_pixels, padded.padded_pixels);
  }
}

RgbImage decode_image(const std::string& path, const ImageDecodeOptions& options) {
  if (options.max_file_bytes <= 0)
    throw std::invalid_argument("max_file_bytes must be positive, got " + std::to_string(options.max_file_bytes));
  // Bounded for any path: a regular file over the limit is refused from its size; /dev/zero, a pipe
  // or a FIFO is cut off at it, and a FIFO with no writer fails after a wait (docs/images.md, Limits).
  InputLimits limits;
  limits.max_bytes = static_cast<uint64_t>(options.max_file_bytes);
  const std::string bytes = read_input_bytes(path, limits);
  return decode_image_bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path, options);
}

int64_t max_image_pixels(const ImageDecodeOptions& options) {
  if (options.max_pixels < 0)
    throw std::invalid_argument("max_pixels must be positive (0: the default), got " +
                                std::to_string(options.max_pixels));
  if (options.max_pixels > 0) return options.max_pixels;
  const char* text = std::getenv(kMaxImagePixelsVariable);
  if (!text) return kDefaultMaxImagePixels;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v <= 0 || text[0] == '+' || text[0] == ' ')
    throw std::invalid_argument(std::string(kMaxImagePixelsVariable) +
                                " must be a positive whole number of pixels, got '" + std::string(text).substr(0, 40) +
                                "'");
  return v;
}

}  // namespace unirep::modalities
