#include "modalities/video/video_reader.h"

#include "modalities/input/input_file.h"

#include "../ffmpeg/ffmpeg_support.h"
#include "../image/frame_to_rgb.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

namespace unirep::modalities {
namespace {
using modalities::av_error;
using modalities::OversizePicture;
using modalities::quiet_ffmpeg_logging;

// Media demuxers only: a crafted text file cannot make FFmpeg follow playlists (hls, concat, ...)
// to other files or URLs.
constexpr const char* kVideoDemuxers =
    "mov,matroska,webm,avi,asf,flv,ogg,mpeg,mpegts,mpegvideo,mxf,nut,rm,h264,hevc,m4v,mjpeg,gif,apng,ivf,yuv4mpegpipe,"
    "dv,wtv,vob,obu,av1,h261,h263,vc1,cavsvideo,dirac,smjpeg,rawvideo,nuv,film_cpk,roq,bink,thp,wsvqa,flic";

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

AVFormatContext* open_container(const std::string& path) {
  AVFormatContext* f = nullptr;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "protocol_whitelist", "file", 0);
  av_dict_set(&opts, "format_whitelist", kVideoDemuxers, 0);
  const int rc = avformat_open_input(&f, path.c_str(), nullptr, &opts);
  av_dict_free(&opts);
  if (rc < 0) fail(path, "not a video file (FFmpeg recognizes no video container: " + av_error(rc) + ")");
  return f;
}

}  // namespace

struct VideoReader::Impl {
  std::string path;
  VideoReaderOptions options;
  VideoInfo info;
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  AVPacket* packet = nullptr;
  AVFrame* frame = nullptr;
  SwsContext* sws = nullptr;
  int stream = -1;
  bool have_pts = true;
  std::vector<int64_t> pts;      // every frame's timestamp, presentation order (index = position)
  std::vector<int64_t> key_pts;  // keyframes' timestamps, sorted

  ~Impl() {
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
    if (format) avformat_close_input(&format);
  }

  // A frame over max_pixels, named with its size (docs/video.md, Limits).
  void refuse_if_too_large(int64_t w, int64_t h) const {
    if (w > 0 && h > 0 && w * h > options.max_pixels)
      fail(path, "a frame of " + std::to_string(w) + " x " + std::to_string(h) + " pixels, more than the limit of " +
                     std::to_string(options.max_pixels) + " (max_pixels)");
  }

  // A decoder error; FFmpeg refuses a frame over max_pixels with a bare EINVAL, so the size it logged
  // is checked first.
  [[noreturn]] void decoding_failed(int rc, const OversizePicture& oversize) const {
    refuse_if_too_large(oversize.width, oversize.height);
    fail(path, "decoding failed (" + av_error(rc) + ")");
  }

  // The demux pass: frame count and timestamps, in a context of its own.
  void index_file() {
    AVFormatContext* f = open_container(path);
    struct Closer {
      AVFormatContext** f;
      ~Closer() { avformat_close_input(f); }
    } closer{&f};
    if (avformat_find_stream_info(f, nullptr) < 0)
      fail(path, "corrupt or unsupported file (cannot read its stream information)");
    const int s = av_find_best_stream(f, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (s < 0) fail(path, std::string("not a video file (no video stream in this ") + f->iformat->name + " file)");
    for (unsigned i = 0; i < f->nb_streams; ++i)
      if (static_cast<int>(i) != s) f->streams[i]->discard = AVDISCARD_ALL;
    AVPacket* p = av_packet_alloc();
    int rc;
    while ((rc = av_read_frame(f, p)) >= 0) {
      if (p->stream_index == s) {
        if (p->pts == AV_NOPTS_VALUE) have_pts = false;
        pts.push_back(p->pts);
        if (p->flags & AV_PKT_FLAG_KEY) key_pts.push_back(p->pts);
        if (static_cast<int64_t>(pts.size()) > options.max_frames) {
          av_packet_free(&p);
          fail(path, "more than " + std::to_string(options.max_frames) + " frames");
        }
      }
      av_packet_unref(p);
    }
    av_packet_free(&p);
    if (rc != AVERROR_EOF && pts.empty()) fail(path, "reading failed (" + av_error(rc) + ")");
    if (pts.empty()) fail(path, "the video stream has no frames");
    std::sort(pts.begin(), pts.end());
    if (have_pts && std::adjacent_find(pts.begin(), pts.end()) != pts.end()) have_pts = false;  // duplicate stamps
    std::sort(key_pts.begin(), key_pts.end());
    info.frames = static_cast<int64_t>(pts.size());
  }

  void open_decoder() {
    format = open_container(path);
    if (avformat_find_stream_info(format, nullptr) < 0)
      fail(path, "corrupt or unsupported file (cannot read its stream information)");
    const AVCodec* c = nullptr;
    stream = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, &c, 0);
    if (stream == AVERROR_DECODER_NOT_FOUND) fail(path, "no decoder for its video codec in this FFmpeg build");
    if (stream < 0) fail(path, "not a video file (no video stream)");
    for (unsigned i = 0; i < format->nb_streams; ++i)
      if (static_cast<int>(i) != stream) format->streams[i]->discard = AVDISCARD_ALL;
    const AVStream* st = format->streams[stream];
    codec = avcodec_alloc_context3(c);
    if (!codec || avcodec_parameters_to_context(codec, st->codecpar) < 0) fail(path, "cannot set up the video decoder");
    codec->pkt_timebase = st->time_base;
    // The stream's own size decides before any frame is decoded; FFmpeg checks each frame again.
    refuse_if_too_large(st->codecpar->width, st->codecpar->height);
    codec->max_pixels = options.max_pixels;
    codec->thread_count = 1;
    int rc;
    if ((rc = avcodec_open2(codec, c, nullptr)) < 0) fail(path, "cannot open the video decoder (" + av_error(rc) + ")");
    packet = av_packet_alloc();
    frame = av_frame_alloc();
    if (!packet || !frame) fail(path, "out of memory");
    info.width = st->codecpar->width;
    info.height = st->codecpar->height;
    const AVRational r = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    info.fps = r.num > 0 && r.den > 0 ? av_q2d(r) : 0.0;
    info.container = format->iformat->name;
    info.codec = avcodec_get_name(st->codecpar->codec_id);
  }

  // Positions the demuxer so decoding yields frame `first` soon: at the keyframe before it, or at
  // the start. Returns false when it rewound to the start (indices then counted from 0 if needed).
  void rewind_to(int64_t first, bool from_start) {
    int64_t target = AV_NOPTS_VALUE;
    if (!from_start && have_pts) {
      const int64_t t = pts[static_cast<size_t>(first)];
      auto it = std::upper_bound(key_pts.begin(), key_pts.end(), t);
      if (it != key_pts.begin()) target = *std::prev(it);
    }
    int rc;
    if (target != AV_NOPTS_VALUE)
      rc = av_seek_frame(format, stream, target, AVSEEK_FLAG_BACKWARD);
    else
      rc = av_seek_frame(format, stream, pts.front() == AV_NOPTS_VALUE ? 0 : pts.front(), AVSEEK_FLAG_BACKWARD);
    if (rc < 0) {  // not seekable: reopen from the start
      avcodec_free_context(&codec);
      av_frame_free(&frame);
      av_packet_free(&packet);
      avformat_close_input(&format);
      open_decoder();
    }
    avcodec_flush_buffers(codec);
  }

  int64_t index_of(int64_t ts) const {
    auto it = std::lower_bound(pts.begin(), pts.end(), ts);
    if (it == pts.end()) return static_cast<int64_t>(pts.size()) - 1;
    if (it != pts.begin() && *it != ts && ts - *std::prev(it) < *it - ts) --it;
    return it - pts.begin();
  }

  // Decodes forward, converting the frames in `wanted` and handing each to `visit`; returns the
  // index of the first decoded frame.
  int64_t decode_into(const std::vector<int64_t>& wanted, std::set<int64_t>& got, bool count_from_zero,
                      const std::function<void(int64_t, const RgbImage&)>& visit) {
    const int64_t last = wanted.back();
    OversizePicture oversize;
    int64_t counter = 0, first_seen = -1;
    bool draining = false;
    while (true) {
      int rc = avcodec_receive_frame(codec, frame);
      if (rc == 0) {
        const int64_t ts = frame->best_effort_timestamp;
        const int64_t idx = count_from_zero || !have_pts || ts == AV_NOPTS_VALUE ? counter : index_of(ts);
        ++counter;
        if (first_seen < 0) first_seen = idx;
        if (std::binary_search(wanted.begin(), wanted.end(), idx) && !got.count(idx)) {
          refuse_if_too_large(frame->width, frame->height);
          RgbImage im;
          // FFmpeg's default YUV conversion: the frames decord (the official loader), PyAV and the
          // ffmpeg program give.
          frame_to_rgb(frame, path, &sws, im, YuvConversion::FfmpegDefault);
          got.insert(idx);
          visit(idx, im);
        }
        av_frame_unref(frame);
        if (idx >= last && got.size() == wanted.size()) return first_seen;
        continue;
      }
      if (rc == AVERROR_EOF || (rc == AVERROR(EAGAIN) && draining)) return first_seen;
      if (rc != AVERROR(EAGAIN)) decoding_failed(rc, oversize);
      rc = av_read_frame(format, packet);
      if (rc == AVERROR_EOF) {
        draining = true;
        avcodec_send_packet(codec, nullptr);
        continue;
      }
      if (rc < 0) fail(path, "reading failed (" + av_error(rc) + ")");
      if (packet->stream_index == stream) {
        rc = avcodec_send_packet(codec, packet);
        if (rc < 0 && rc != AVERROR_INVALIDDATA && rc != AVERROR(EAGAIN)) {
          av_packet_unref(packet);
          decoding_failed(rc, oversize);
        }
      }
      av_packet_unref(packet);
    }
  }
};

VideoReader::VideoReader(const std::string& path, const VideoReaderOptions& options) : impl_(std::make_unique<Impl>()) {
  // Missing files, link loops, directories and unreadable files get their own messages; anything
  // but a regular file is refused, since FFmpeg would read a pipe or device without end and block
  // on a FIFO with no writer (docs/video.md, Limits).
  InputLimits no_size_limit;
  no_size_limit.max_bytes = std::numeric_limits<uint64_t>::max();
  if (path == "-" || !check_input_path(path, no_size_limit))
    fail(path,
         "is not a regular file (a pipe, FIFO, device or standard input); videos are read from regular files only");
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) == 0) fail(path, "the file is empty");
  quiet_ffmpeg_logging();
  impl_->path = path;
  impl_->options = options;
  impl_->index_file();
  impl_->open_decoder();
}

VideoReader::~VideoReader() = default;

const VideoInfo& VideoReader::info() const {
  return impl_->info;
}

void VideoReader::visit_frames(const std::vector<int64_t>& indices,
                               const std::function<void(int64_t, const RgbImage&)>& visit) {
  if (indices.empty()) return;
  std::vector<int64_t> wanted(indices);
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  if (wanted.front() < 0 || wanted.back() >= impl_->info.frames)
    fail(impl_->path, "frame index " + std::to_string(wanted.front() < 0 ? wanted.front() : wanted.back()) +
                          " is outside 0.." + std::to_string(impl_->info.frames - 1));
  std::set<int64_t> got;
  impl_->rewind_to(wanted.front(), /*from_start=*/false);
  const int64_t first_seen = impl_->decode_into(wanted, got, /*count_from_zero=*/!impl_->have_pts, visit);
  if (got.size() != wanted.size() && impl_->have_pts && first_seen > wanted.front()) {
    // The seek landed after the frame (an index without exact keyframes): decode from the start.
    got.clear();
    impl_->rewind_to(0, /*from_start=*/true);
    impl_->decode_into(wanted, got, false, visit);
  }
  if (got.size() != wanted.size()) {
    for (int64_t i : wanted)
      if (!got.count(i))
        fail(impl_->path,
             "frame " + std::to_string(i) + " of " + std::to_string(impl_->info.frames) + " could not be decoded");
  }
}

std::vector<RgbImage> VideoReader::frames(const std::vector<int64_t>& indices) {
  std::map<int64_t, RgbImage> got;
  visit_frames(indices, [&](int64_t i, const RgbImage& frame) { got[i] = frame; });
  std::vector<RgbImage> out;
  out.reserve(indices.size());
  for (int64_t i : indices) out.push_back(got.at(i));
  return out;
}

}  // namespace unirep::modalities
