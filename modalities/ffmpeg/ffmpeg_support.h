#pragma once
// Internal to modalities/: what every FFmpeg user here (audio, image and video decoding) shares.
#include <cstdint>
#include <string>

namespace unirep::modalities {

// FFmpeg's message for an error code, e.g. "Invalid data found when processing input".
std::string av_error(int code);

// FFmpeg logs to stderr by default; the SDK reports problems through exceptions instead. This is a
// process-wide FFmpeg setting, changed once, the first time a file goes through FFmpeg.
void quiet_ffmpeg_logging();

// While one is alive on a thread, FFmpeg's refusal of a picture over a codec's max_pixels ("Picture
// size WxH exceeds specified max pixel count") on that thread is remembered here: decoders refuse
// with a bare EINVAL before they report their size, and the size is what the user needs to hear
// (docs/images.md, Limits). Needs quiet_ffmpeg_logging(), which installs the log callback.
class OversizePicture {
 public:
  OversizePicture();
  ~OversizePicture();
  OversizePicture(const OversizePicture&) = delete;
  OversizePicture& operator=(const OversizePicture&) = delete;
  bool seen() const { return width > 0 && height > 0; }
  int64_t width = 0, height = 0;

 private:
  OversizePicture* outer_;
};

}  // namespace unirep::modalities
