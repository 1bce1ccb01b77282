// libsndfile reader: WAV and relatives, FLAC, OGG (Vorbis, Opus), AIFF, CAF, AU. Reads interleaved
// float frames in bounded blocks and averages the channels to mono. Integer PCM is scaled by
// libsndfile's default float normalization (int16 / 32768, int32 / 2^31), the same as torchaudio.
// Float and double files come as stored (a double beyond float's range becomes infinite), and
// every block is checked against sample_check.h before the down-mix.
#include "audio_source.h"

#include <sndfile.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <vector>

namespace unirep::modalities {
namespace {

// Largest block read at once, in frames (x channels floats of scratch memory).
constexpr int64_t kBlockFrames = 16384;

std::string container_name(int format) {
  switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV:
      return "wav";
    case SF_FORMAT_WAVEX:
      return "wav";
    case SF_FORMAT_RF64:
      return "rf64";
    case SF_FORMAT_W64:
      return "w64";
    case SF_FORMAT_FLAC:
      return "flac";
    case SF_FORMAT_OGG:
      return "ogg";
    case SF_FORMAT_AIFF:
      return "aiff";
    case SF_FORMAT_CAF:
      return "caf";
    case SF_FORMAT_AU:
      return "au";
    case SF_FORMAT_NIST:
      return "nist";
    case SF_FORMAT_SVX:
      return "8svx";
    default:
      break;
  }
  SF_FORMAT_INFO major{};
  major.format = format & SF_FORMAT_TYPEMASK;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &major, sizeof major) == 0 && major.extension) return major.extension;
  return "unknown";
}

// FFmpeg-style codec names ("pcm_s16le", "vorbis", ...) so both decoders describe files alike.
std::string codec_name(int format) {
  const int major = format & SF_FORMAT_TYPEMASK;
  const int endian = format & SF_FORMAT_ENDMASK;
  bool big = major == SF_FORMAT_AIFF || major == SF_FORMAT_AU || major == SF_FORMAT_CAF || major == SF_FORMAT_SVX;
  if (endian == SF_ENDIAN_BIG) big = true;
  if (endian == SF_ENDIAN_LITTLE) big = false;
  const std::string e = big ? "be" : "le";
  if (major == SF_FORMAT_FLAC) return "flac";
  switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8:
      return "pcm_s8";
    case SF_FORMAT_PCM_U8:
      return "pcm_u8";
    case SF_FORMAT_PCM_16:
      return "pcm_s16" + e;
    case SF_FORMAT_PCM_24:
      return "pcm_s24" + e;
    case SF_FORMAT_PCM_32:
      return "pcm_s32" + e;
    case SF_FORMAT_FLOAT:
      return "pcm_f32" + e;
    case SF_FORMAT_DOUBLE:
      return "pcm_f64" + e;
    case SF_FORMAT_ULAW:
      return "pcm_mulaw";
    case SF_FORMAT_ALAW:
      return "pcm_alaw";
    case SF_FORMAT_IMA_ADPCM:
      return "adpcm_ima_wav";
    case SF_FORMAT_MS_ADPCM:
      return "adpcm_ms";
    case SF_FORMAT_GSM610:
      return "gsm_ms";
    case SF_FORMAT_VORBIS:
      return "vorbis";
    case SF_FORMAT_OPUS:
      return "opus";
    case SF_FORMAT_ALAC_16:
    case SF_FORMAT_ALAC_20:
    case SF_FORMAT_ALAC_24:
    case SF_FORMAT_ALAC_32:
      return "alac";
    case SF_FORMAT_MPEG_LAYER_III:
      return "mp3";
    default:
      break;
  }
  SF_FORMAT_INFO sub{};
  sub.format = format & SF_FORMAT_SUBMASK;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &sub, sizeof sub) != 0 || !sub.name) return "unknown";
  std::string name = sub.name;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

class SndfileSource final : public AudioSource {
 public:
  explicit SndfileSource(const std::string& path) : path_(path) {
    SF_INFO sf{};
    file_ = sf_open(path.c_str(), SFM_READ, &sf);
    // Unprefixed on purpose: the caller may still try FFmpeg, then reports this message.
    if (!file_) throw std::runtime_error(sf_strerror(nullptr));
    try {
      check_format(path, sf.samplerate, sf.channels);
      if (sf.frames < 0) fail(path, "negative length in the header");
    } catch (...) {
      sf_close(file_);
      throw;
    }
    // Integer PCM read as float is divided by 2^(bits-1) (libsndfile's default, stated here so a
    // changed default could not silently rescale everything).
    sf_command(file_, SFC_SET_NORM_FLOAT, nullptr, SF_TRUE);
    info_.sample_rate = sf.samplerate;
    info_.channels = sf.channels;
    // libsndfile reports SF_COUNT_MAX when it does not know the length (e.g. a streamed pipe).
    info_.frames = sf.frames == SF_COUNT_MAX ? -1 : static_cast<int64_t>(sf.frames);
    info_.container = container_name(sf.format);
    info_.codec = codec_name(sf.format);
    info_.decoder = "libsndfile";
  }
  ~SndfileSource() override { sf_close(file_); }

  int64_t read(float* out, int64_t max_frames) override {
    const int c = info_.channels;
    const sf_count_t want = static_cast<sf_count_t>(std::min(max_frames, kBlockFrames));
    if (c == 1) {
      const sf_count_t n = sf_readf_float(file_, out, want);
      check_error();
      check_samples(path_, out, static_cast<int64_t>(n), 1);
      return static_cast<int64_t>(n);
    }
    interleaved_.resize(static_cast<size_t>(want) * static_cast<size_t>(c));
    const sf_count_t n = sf_readf_float(file_, interleaved_.data(), want);
    check_error();
    check_samples(path_, interleaved_.data(), static_cast<int64_t>(n), c);
    average_channels(interleaved_.data(), static_cast<int64_t>(n), c, out);
    return static_cast<int64_t>(n);
  }

 private:
  void check_error() {
    const int code = sf_error(file_);
    if (code != SF_ERR_NO_ERROR)
      fail(path_, std::string("decoding failed (libsndfile: ") + sf_error_number(code) + ")");
  }

  std::string path_;
  SNDFILE* file_ = nullptr;
  std::vector<float> interleaved_;
};

}  // namespace

std::unique_ptr<AudioSource> open_sndfile_source(const std::string& path) {
  return std::make_unique<SndfileSource>(path);
}

}  // namespace unirep::modalities
