// Audio decoding front end: picks the library by the file's first bytes (sniff.cpp), falls back from
// libsndfile to FFmpeg for codecs libsndfile lacks inside its containers (e.g. MP3 in WAV), and
// reads whole files for decode_audio under a length limit.
#include "modalities/audio/decode.h"

#include "audio_source.h"
#include "sniff.h"

#include "modalities/audio/sample_check.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace unirep::modalities {

void fail(const std::string& path, const std::string& problem) {
  throw std::runtime_error(path + ": " + problem);
}

void check_format(const std::string& path, int sample_rate, int channels) {
  if (sample_rate <= 0 || sample_rate > kMaxSampleRate)
    fail(path, "implausible sample rate " + std::to_string(sample_rate) + " Hz in the header (corrupt file?)");
  if (channels <= 0 || channels > kMaxChannels)
    fail(path, "implausible channel count " + std::to_string(channels) + " in the header (corrupt file?)");
}

void AudioSource::check_samples(const std::string& path, const float* interleaved, int64_t frames, int channels) {
  if (const auto bad = find_bad_sample(interleaved, frames, channels, frames_checked_))
    fail(path, describe_bad_sample(*bad, info_.sample_rate, channels));
  frames_checked_ += frames;
}

namespace {

// decode_audio's scratch block, in samples.
constexpr int64_t kDecodeBlock = 1 << 15;
// decode_audio reserves at most this many samples from a header's length up front (a header may
// lie; the vector grows as samples really arrive).
constexpr int64_t kMaxReserve = 1 << 24;

std::unique_ptr<AudioSource> open_source(const std::string& path) {
  if (sniff_container(path) == AudioContainer::Ffmpeg) return open_ffmpeg_source(path);
  try {
    return open_sndfile_source(path);
  } catch (const std::runtime_error& e) {
    const std::string sndfile_error = e.what();
    if (sndfile_error.rfind(path + ": ", 0) == 0) throw;  // our own verdict on a header libsndfile read
    // libsndfile could not open it; FFmpeg may know the codec inside (MP3 or AAC in WAV, Speex in
    // OGG, ...). When it cannot either, libsndfile's message is the informative one.
    try {
      return open_ffmpeg_source(path);
    } catch (const std::runtime_error&) {
      fail(path, "not an audio file or corrupt (libsndfile: " + sndfile_error + ")");
    }
  }
}

std::string seconds_text(double seconds) {
  std::ostringstream s;
  s.precision(seconds < 100 ? 3 : 0);
  s << std::fixed << seconds;
  return s.str();
}

[[noreturn]] void too_long(const std::string& path, double seconds, double limit, bool at_least) {
  fail(path, std::string("audio is ") + (at_least ? "more than " : "") + seconds_text(seconds) +
                 " s long, over the limit of " + seconds_text(limit) +
                 " s for reading a whole file; read it in blocks with AudioReader (streaming) instead, "
                 "or raise DecodeOptions::max_seconds");
}

}  // namespace

struct AudioReader::Impl {
  std::string path;
  std::unique_ptr<AudioSource> source;
};

AudioReader::AudioReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->source = open_source(path);
}

AudioReader::~AudioReader() = default;

const AudioInfo& AudioReader::info() const {
  return impl_->source->info();
}

const std::string& AudioReader::path() const {
  return impl_->path;
}

int64_t AudioReader::read(float* out, int64_t max_frames) {
  if (max_frames <= 0) return 0;
  if (!out) throw std::invalid_argument(impl_->path + ": AudioReader::read given a null buffer");
  return impl_->source->read(out, max_frames);
}

DecodedAudio decode_audio(const std::string& path, const DecodeOptions& options) {
  if (!(options.max_seconds > 0)) throw std::invalid_argument(path + ": DecodeOptions::max_seconds must be positive");
  AudioReader reader(path);
  DecodedAudio out;
  out.info = reader.info();
  out.sample_rate = out.info.sample_rate;
  const double rate = out.sample_rate;
  const double limit = std::floor(options.max_seconds * rate);  // in samples
  // Up front when the header knows the length, so a 10-hour file is refused without reading it.
  if (out.info.frames >= 0 && static_cast<double>(out.info.frames) > limit)
    too_long(path, static_cast<double>(out.info.frames) / rate, options.max_seconds, false);
  if (out.info.frames > 0) out.samples.reserve(static_cast<size_t>(std::min(out.info.frames, kMaxReserve)));
  std::vector<float> block(static_cast<size_t>(kDecodeBlock));
  while (true) {
    const int64_t n = reader.read(block.data(), kDecodeBlock);
    if (n <= 0) break;
    out.samples.insert(out.samples.end(), block.begin(), block.begin() + n);
    // While reading when the length was unknown (or the header understated it).
    if (static_cast<double>(out.samples.size()) > limit)
      too_long(path, static_cast<double>(out.samples.size()) / rate, options.max_seconds, true);
  }
  if (out.samples.empty()) fail(path, "contains no audio samples (zero-length audio)");
  return out;
}

void average_channels(const float* interleaved, int64_t frames, int channels, float* mono) {
  for (int64_t i = 0; i < frames; ++i) {
    const float* frame = interleaved + i * channels;
    float sum = 0;
    for (int k = 0; k < channels; ++k) sum += frame[k];
    mono[i] = sum / static_cast<float>(channels);
  }
}

}  // namespace unirep::modalities
