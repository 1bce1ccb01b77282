#pragma once
// Audio files to samples. The container is recognized by content (magic bytes), not by extension:
// WAV/RF64/W64, FLAC, OGG (Vorbis, Opus), AIFF, CAF and the other formats libsndfile reads go through
// libsndfile; everything else (MP3, AAC/M4A, the audio track of MP4/MKV/WebM/AVI video) through
// FFmpeg. Samples are float in [-1, 1] (integer PCM scaled like torchaudio: int16 / 32768),
// multi-channel audio is averaged to mono, at the file's own sample rate (resample.h converts).
//
// AudioReader streams: memory stays bounded whatever the file's length (a 10-hour recording is
// read block by block). decode_audio reads a whole file and refuses files longer than a limit.
// Every error is an io-style std::runtime_error whose message starts with the file's path.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace unirep::modalities {

struct AudioInfo {
  int sample_rate = 0;
  int channels = 0;       // in the file (output is always mono)
  int64_t frames = -1;    // samples per channel when the container says so, else -1
  std::string container;  // e.g. "wav", "flac", "ogg", "mp3", "mov,mp4,m4a,3gp,3g2,mj2"
  std::string codec;      // e.g. "pcm_s16le", "vorbis", "opus", "mp3", "aac"
  std::string decoder;    // "libsndfile" or "ffmpeg"
};

class AudioReader {
 public:
  // Opens and probes the file; throws (message "PATH: problem") on a missing, empty, unreadable,
  // non-audio or corrupt file.
  explicit AudioReader(const std::string& path);
  ~AudioReader();
  AudioReader(const AudioReader&) = delete;
  AudioReader& operator=(const AudioReader&) = delete;

  const AudioInfo& info() const;
  const std::string& path() const;
  // Reads up to `max_frames` mono samples into `out`; returns how many (0 at the end of the audio).
  // Decoding errors in the middle of a stream throw.
  int64_t read(float* out, int64_t max_frames);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct DecodedAudio {
  std::vector<float> samples;  // mono, [-1, 1]
  int sample_rate = 0;
  AudioInfo info;
};

struct DecodeOptions {
  // decode_audio refuses audio longer than this (use AudioReader to stream longer recordings).
  double max_seconds = 3600.0;
};

// Reads a whole file (mono, native rate). Throws on zero-length audio as on any other bad input.
DecodedAudio decode_audio(const std::string& path, const DecodeOptions& options = {});

// `frames` frames of `channels` interleaved samples averaged to mono into `mono` (frames floats):
// the down-mix every decoder applies, for samples that come from elsewhere (an app's buffer).
void average_channels(const float* interleaved, int64_t frames, int channels, float* mono);

}  // namespace unirep::modalities
