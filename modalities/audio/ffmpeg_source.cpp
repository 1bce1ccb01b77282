// FFmpeg reader: MP3, AAC/M4A, and the audio track of MP4/MKV/WebM/AVI video (any container on the
// whitelist below). Decodes the best audio stream packet by packet; the samples of the last decoded
// frame wait in a small FIFO until read, so memory stays bounded by one frame.
//
// Sample formats are converted by hand, with torchaudio's scaling (s16 / 32768, s32 / 2^31,
// u8 (x - 128) / 128), checked against sample_check.h, and channels averaged to mono. Doing this
// per frame (rather than through one SwrContext set up front) also copes with streams whose
// channel count changes midway.
#include "../ffmpeg/ffmpeg_support.h"
#include "audio_source.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
}

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <vector>

namespace unirep::modalities {
namespace {
using modalities::av_error;
using modalities::quiet_ffmpeg_logging;

// Demuxers FFmpeg may pick for an audio input: media containers only, so that a crafted text file
// cannot make it follow playlists (hls, concat, ...) to other files.
constexpr const char* kFormatWhitelist =
    "mp3,aac,loas,mov,matroska,webm,avi,asf,flv,ogg,wav,w64,rf64,flac,aiff,caf,au,amr,amrnb,amrwb,ac3,eac3,dts,"
    "truehd,mlp,wv,ape,tta,mpc,mpc8,mpeg,mpegts,mxf,rm,dsf,iff,voc,gsm,oma,nut,xwma,wsaud,mp2";

// Sample `i` of channel `ch` as float, from packed or planar data of format `fmt`.
inline float sample_at(const uint8_t* const* data, AVSampleFormat fmt, int channels, int i, int ch) {
  const bool planar = av_sample_fmt_is_planar(fmt) != 0;
  const uint8_t* base = planar ? data[ch] : data[0];
  const size_t index = planar ? static_cast<size_t>(i) : static_cast<size_t>(i) * channels + ch;
  switch (av_get_packed_sample_fmt(fmt)) {
    case AV_SAMPLE_FMT_U8:
      return (static_cast<float>(base[index]) - 128.0f) / 128.0f;
    case AV_SAMPLE_FMT_S16: {
      int16_t v;
      std::memcpy(&v, base + index * sizeof v, sizeof v);
      return static_cast<float>(v) / 32768.0f;
    }
    case AV_SAMPLE_FMT_S32: {
      int32_t v;
      std::memcpy(&v, base + index * sizeof v, sizeof v);
      return static_cast<float>(static_cast<double>(v) / 2147483648.0);
    }
    case AV_SAMPLE_FMT_S64: {
      int64_t v;
      std::memcpy(&v, base + index * sizeof v, sizeof v);
      return static_cast<float>(static_cast<double>(v) / 9223372036854775808.0);
    }
    case AV_SAMPLE_FMT_FLT: {
      float v;
      std::memcpy(&v, base + index * sizeof v, sizeof v);
      return v;
    }
    case AV_SAMPLE_FMT_DBL: {
      double v;
      std::memcpy(&v, base + index * sizeof v, sizeof v);
      // Beyond float's range the cast is undefined; infinity is what the sample check then reports.
      constexpr float inf = std::numeric_limits<float>::infinity();
      if (std::abs(v) > std::numeric_limits<float>::max()) return v > 0 ? inf : -inf;
      return static_cast<float>(v);
    }
    default:
      return 0.0f;  // rejected before decoding starts (see supported_format)
  }
}

bool supported_format(int fmt) {
  switch (av_get_packed_sample_fmt(static_cast<AVSampleFormat>(fmt))) {
    case AV_SAMPLE_FMT_U8:
    case AV_SAMPLE_FMT_S16:
    case AV_SAMPLE_FMT_S32:
    case AV_SAMPLE_FMT_S64:
    case AV_SAMPLE_FMT_FLT:
    case AV_SAMPLE_FMT_DBL:
      return true;
    default:
      return false;
  }
}

class FfmpegSource final : public AudioSource {
 public:
  explicit FfmpegSource(const std::string& path) : path_(path) {
    try {
      open();
    } catch (...) {
      release();  // the destructor does not run when a constructor throws
      throw;
    }
  }
  ~FfmpegSource() override { release(); }

  int64_t read(float* out, int64_t max_frames) override {
    int64_t done = 0;
    while (done < max_frames) {
      if (fifo_pos_ == fifo_.size()) {
        if (finished_) break;
        decode_more();
        continue;
      }
      const size_t n = std::min(fifo_.size() - fifo_pos_, static_cast<size_t>(max_frames - done));
      std::copy_n(fifo_.data() + fifo_pos_, n, out + done);
      fifo_pos_ += n;
      done += static_cast<int64_t>(n);
    }
    return done;
  }

 private:
  void open() {
    const std::string& path = path_;
    quiet_ffmpeg_logging();
    AVDictionary* options = nullptr;
    av_dict_set(&options, "protocol_whitelist", "file", 0);
    av_dict_set(&options, "format_whitelist", kFormatWhitelist, 0);
    int rc = avformat_open_input(&format_, path.c_str(), nullptr, &options);
    av_dict_free(&options);
    if (rc < 0) fail(path, "not an audio file (FFmpeg recognizes no audio container: " + av_error(rc) + ")");
    rc = avformat_find_stream_info(format_, nullptr);
    if (rc < 0) fail(path, "corrupt or unsupported file (cannot read its stream information: " + av_error(rc) + ")");
    const AVCodec* codec = nullptr;
    stream_ = av_find_best_stream(format_, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
    if (stream_ == AVERROR_DECODER_NOT_FOUND) fail(path, "no decoder for its audio codec in this FFmpeg build");
    if (stream_ < 0)
      fail(path, std::string("not an audio file (no audio stream in this ") + format_->iformat->name + " file)");
    for (unsigned i = 0; i < format_->nb_streams; ++i)
      if (static_cast<int>(i) != stream_) format_->streams[i]->discard = AVDISCARD_ALL;  // skip video packets
    const AVStream* st = format_->streams[stream_];
    codec_ = avcodec_alloc_context3(codec);
    if (!codec_ || avcodec_parameters_to_context(codec_, st->codecpar) < 0)
      fail(path, "cannot set up the audio decoder");
    codec_->pkt_timebase = st->time_base;
    if ((rc = avcodec_open2(codec_, codec, nullptr)) < 0)
      fail(path, "cannot open the audio decoder (" + av_error(rc) + ")");
    check_format(path, codec_->sample_rate, codec_->ch_layout.nb_channels);
    packet_ = av_packet_alloc();
    frame_ = av_frame_alloc();
    if (!packet_ || !frame_) fail(path, "out of memory setting up the decoder");
    info_.sample_rate = codec_->sample_rate;
    info_.channels = codec_->ch_layout.nb_channels;
    info_.decoder = "ffmpeg";
    info_.container = format_->iformat->name;
    info_.codec = avcodec_get_name(st->codecpar->codec_id);  // "mp3", not the decoder's "mp3float"
    // A length guessed from the bit rate is no length "the container says"; leave it unknown.
    if (format_->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE) {
      if (st->duration > 0 && st->duration != AV_NOPTS_VALUE)
        info_.frames = av_rescale_q(st->duration, st->time_base, AVRational{1, codec_->sample_rate});
      else if (format_->duration > 0 && format_->duration != AV_NOPTS_VALUE)
        info_.frames = av_rescale_q(format_->duration, AVRational{1, AV_TIME_BASE}, AVRational{1, codec_->sample_rate});
    }
  }

  void release() {
    av_frame_free(&frame_);
    av_packet_free(&packet_);
    avcodec_free_context(&codec_);
    if (format_) avformat_close_input(&format_);
  }

  // Decodes one more frame into the FIFO, or sets finished_ at the end of the stream.
  void decode_more() {
    while (true) {
      int rc = avcodec_receive_frame(codec_, frame_);
      if (rc == 0) {
        append_frame();
        return;
      }
      if (rc == AVERROR_EOF) {
        finished_ = true;
        return;
      }
      if (rc != AVERROR(EAGAIN)) fail(path_, "decoding failed (" + av_error(rc) + ")");
      if (draining_) {  // EAGAIN after the flush packet: nothing more will come
        finished_ = true;
        return;
      }
      rc = av_read_frame(format_, packet_);
      if (rc == AVERROR_EOF) {
        draining_ = true;
        avcodec_send_packet(codec_, nullptr);
        continue;
      }
      if (rc < 0) fail(path_, "reading failed (" + av_error(rc) + ")");
      if (packet_->stream_index == stream_) {
        rc = avcodec_send_packet(codec_, packet_);
        // A damaged packet is skipped, as FFmpeg's own tools do; anything else is fatal.
        if (rc < 0 && rc != AVERROR_INVALIDDATA) {
          av_packet_unref(packet_);
          fail(path_, "decoding failed (" + av_error(rc) + ")");
        }
      }
      av_packet_unref(packet_);
    }
  }

  // Averages the decoded frame to mono into the (empty) FIFO.
  void append_frame() {
    const int channels = frame_->ch_layout.nb_channels;
    const auto fmt = static_cast<AVSampleFormat>(frame_->format);
    const int n = frame_->nb_samples;
    if (frame_->sample_rate != info_.sample_rate) {
      av_frame_unref(frame_);
      fail(path_,
           "the sample rate changes in the middle of the stream (" + std::to_string(info_.sample_rate) + " Hz before)");
    }
    if (channels <= 0 || channels > kMaxChannels || !supported_format(fmt) || n < 0) {
      av_frame_unref(frame_);
      fail(path_, "decoder produced an unsupported frame (" + std::to_string(channels) + " channels, format " +
                      std::to_string(static_cast<int>(fmt)) + ")");
    }
    interleaved_.resize(static_cast<size_t>(n) * static_cast<size_t>(channels));
    const uint8_t* const* data = frame_->extended_data;
    for (int i = 0; i < n; ++i)
      for (int ch = 0; ch < channels; ++ch)
        interleaved_[static_cast<size_t>(i) * channels + ch] = sample_at(data, fmt, channels, i, ch);
    av_frame_unref(frame_);
    check_samples(path_, interleaved_.data(), n, channels);
    fifo_.resize(static_cast<size_t>(n));
    fifo_pos_ = 0;
    average_channels(interleaved_.data(), n, channels, fifo_.data());
  }

  std::string path_;
  AVFormatContext* format_ = nullptr;
  AVCodecContext* codec_ = nullptr;
  AVPacket* packet_ = nullptr;
  AVFrame* frame_ = nullptr;
  int stream_ = -1;
  bool draining_ = false, finished_ = false;
  std::vector<float> interleaved_;  // the last decoded frame, every channel, before the down-mix
  std::vector<float> fifo_;         // its mono samples
  size_t fifo_pos_ = 0;             // how many of them were read
};

}  // namespace

std::unique_ptr<AudioSource> open_ffmpeg_source(const std::string& path) {
  return std::make_unique<FfmpegSource>(path);
}

}  // namespace unirep::modalities
