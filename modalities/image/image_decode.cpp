// Still images through FFmpeg, from bytes in memory: a custom AVIOContext means only the content
// probes of FFmpeg's image demuxers can pick the format (the image2 demuxer, which goes by file
// name and expands "%d" patterns, never sees a name), and only demuxers on the whitelist may.
#include <unirep/modalities/image/image_decode.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>

namespace unirep::modalities::image {
namespace {

constexpr const char* kImageDemuxers =
    "png_pipe,jpeg_pipe,jpegls_pipe,bmp_pipe,webp_pipe,tiff_pipe,gif,apng,ppm_pipe,pgm_pipe,pbm_pipe,pam_pipe,"
    "pgmyuv_pipe,qoi_pipe,j2k_pipe,dds_pipe,dpx_pipe,exr_pipe,pcx_pipe,sgi_pipe,sunrast_pipe,xbm_pipe,xpm_pipe,"
    "xwd_pipe,psd_pipe,hdr_pipe,pictor_pipe,qdraw_pipe,gem_pipe,photocd_pipe,pgx_pipe,cri_pipe";

[[noreturn]] void fail(const std::string& name, const std::string& what) { throw std::runtime_error(name + ": " + what); }

std::string av_error(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

void quiet_ffmpeg_logging() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_QUIET); });
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
      case SEEK_SET: base = 0; break;
      case SEEK_CUR: base = static_cast<int64_t>(r->pos); break;
      case SEEK_END: base = static_cast<int64_t>(r->size); break;
      default: return AVERROR(EINVAL);
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

uint16_t sample16(const uint8_t* p, bool big_endian) {
  return big_endian ? static_cast<uint16_t>(p[0] << 8 | p[1]) : static_cast<uint16_t>(p[1] << 8 | p[0]);
}

// 16-bit formats by hand (high byte, as PIL keeps for 16-bit RGB); false for any other format.
bool convert_16bit(const AVFrame* f, RgbImage& out) {
  const auto fmt = static_cast<AVPixelFormat>(f->format);
  int channels = 0;  // samples per pixel in the source
  bool grey = false, big = false;
  switch (fmt) {
    case AV_PIX_FMT_GRAY16LE: channels = 1, grey = true; break;
    case AV_PIX_FMT_GRAY16BE: channels = 1, grey = true, big = true; break;
    case AV_PIX_FMT_YA16LE: channels = 2, grey = true; break;
    case AV_PIX_FMT_YA16BE: channels = 2, grey = true, big = true; break;
    case AV_PIX_FMT_RGB48LE: channels = 3; break;
    case AV_PIX_FMT_RGB48BE: channels = 3, big = true; break;
    case AV_PIX_FMT_RGBA64LE: channels = 4; break;
    case AV_PIX_FMT_RGBA64BE: channels = 4, big = true; break;
    default: return false;
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
void convert_swscale(Decoder& d, const std::string& name, RgbImage& out) {
  const AVFrame* f = d.frame;
  auto fmt = static_cast<AVPixelFormat>(f->format);
  bool full_range = f->color_range == AVCOL_RANGE_JPEG;
  // The deprecated "J" formats mean full-range YUV; swscale wants the plain format plus the range.
  switch (fmt) {
    case AV_PIX_FMT_YUVJ420P: fmt = AV_PIX_FMT_YUV420P, full_range = true; break;
    case AV_PIX_FMT_YUVJ422P: fmt = AV_PIX_FMT_YUV422P, full_range = true; break;
    case AV_PIX_FMT_YUVJ444P: fmt = AV_PIX_FMT_YUV444P, full_range = true; break;
    case AV_PIX_FMT_YUVJ440P: fmt = AV_PIX_FMT_YUV440P, full_range = true; break;
    case AV_PIX_FMT_YUVJ411P: fmt = AV_PIX_FMT_YUV411P, full_range = true; break;
    default: break;
  }
  d.sws = sws_getContext(out.width, out.height, fmt, out.width, out.height, AV_PIX_FMT_RGB24,
                         SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP, nullptr, nullptr, nullptr);
  if (!d.sws) fail(name, std::string("cannot convert pixel format ") + (av_get_pix_fmt_name(fmt) ? av_get_pix_fmt_name(fmt) : "?") + " to RGB");
  const auto* desc = av_pix_fmt_desc_get(fmt);
  if (desc && !(desc->flags & AV_PIX_FMT_FLAG_RGB) && !(desc->flags & AV_PIX_FMT_FLAG_PAL) && desc->nb_components >= 3) {
    const int space = f->colorspace == AVCOL_SPC_UNSPECIFIED || f->colorspace == AVCOL_SPC_RGB ? SWS_CS_ITU601 : f->colorspace;
    const int* coeffs = sws_getCoefficients(space);
    sws_setColorspaceDetails(d.sws, coeffs, full_range ? 1 : 0, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
  }
  uint8_t* dst[4] = {out.pixels.data(), nullptr, nullptr, nullptr};
  int dst_stride[4] = {out.width * 3, 0, 0, 0};
  const int rows = sws_scale(d.sws, f->data, f->linesize, 0, out.height, dst, dst_stride);
  if (rows != out.height) fail(name, "pixel format conversion failed");
}

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
        case 2: sx = W - 1 - x; break;                  // mirror left-right
        case 3: sx = W - 1 - x, sy = H - 1 - y; break;  // rotate 180
        case 4: sy = H - 1 - y; break;                  // mirror top-bottom
        case 5: sx = y, sy = x; break;                  // transpose
        case 6: sx = y, sy = H - 1 - x; break;          // rotate 90 clockwise
        case 7: sx = W - 1 - y, sy = H - 1 - x; break;  // transverse
        case 8: sx = W - 1 - y, sy = x; break;          // rotate 90 counter-clockwise
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

}  // namespace

RgbImage decode_image_bytes(const uint8_t* data, size_t size, const std::string& name, const ImageDecodeOptions& options) {
  if (size == 0) fail(name, "the file is empty");
  quiet_ffmpeg_logging();
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
  d.codec = avcodec_alloc_context3(codec);
  if (!d.codec || avcodec_parameters_to_context(d.codec, d.format->streams[stream]->codecpar) < 0) fail(name, "cannot set up the image decoder");
  // FFmpeg refuses to allocate frames above max_pixels, so a header claiming 100000 x 100000
  // never becomes a 30 GB buffer.
  d.codec->max_pixels = options.max_pixels;
  d.codec->thread_count = 1;
  if ((rc = avcodec_open2(d.codec, codec, nullptr)) < 0) fail(name, "cannot open the image decoder (" + av_error(rc) + ")");
  d.packet = av_packet_alloc();
  d.frame = av_frame_alloc();
  if (!d.packet || !d.frame) fail(name, "out of memory");

  auto too_large = [&]() {
    const int64_t w = d.codec->width, h = d.codec->height;
    if (w > 0 && h > 0 && w * h > options.max_pixels)
      fail(name, "the image is " + std::to_string(w) + " x " + std::to_string(h) + " pixels, more than the limit of " +
                     std::to_string(options.max_pixels));
  };
  // Decoders refuse dimensions above max_pixels with EINVAL before telling their size, so that
  // error names both possible causes.
  auto decode_error = [&](int code) {
    too_large();
    if (code == AVERROR(EINVAL))
      fail(name, "corrupt image data, or more than the limit of " + std::to_string(options.max_pixels) + " pixels (" + av_error(code) + ")");
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
    too_large();
    fail(name, "no picture could be decoded (truncated or corrupt data)");
  }
  RgbImage out;
  out.width = d.frame->width;
  out.height = d.frame->height;
  if (out.width <= 0 || out.height <= 0) fail(name, "the decoder returned an empty picture");
  if (static_cast<int64_t>(out.width) * out.height > options.max_pixels) too_large();
  out.pixels.resize(static_cast<size_t>(out.width) * out.height * 3);
  if (!convert_16bit(d.frame, out)) convert_swscale(d, name, out);
  if (options.exif_rotate) out = orient(out, exif_orientation(d.frame));
  return out;
}

RgbImage decode_image(const std::string& path, const ImageDecodeOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, not an image file");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail(path, std::filesystem::exists(path, ec) ? "cannot open the file" : "no such file");
  const std::streamoff size = in.tellg();
  if (size < 0) fail(path, "cannot read the file");
  if (size > options.max_file_bytes)
    fail(path, "the file is " + std::to_string(size) + " bytes, more than the limit of " + std::to_string(options.max_file_bytes));
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) fail(path, "cannot read the file");
  return decode_image_bytes(bytes.data(), bytes.size(), path, options);
}

}  // namespace unirep::modalities::image
