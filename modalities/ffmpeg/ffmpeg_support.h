#pragma once
// Internal to modalities/: what every FFmpeg user here (audio, image and video decoding) shares.
#include <string>

namespace unirep::modalities::detail {

// FFmpeg's message for an error code, e.g. "Invalid data found when processing input".
std::string av_error(int code);

// FFmpeg logs to stderr by default; the SDK reports problems through exceptions instead. This is a
// process-wide FFmpeg setting, changed once, the first time a file goes through FFmpeg.
void quiet_ffmpeg_logging();

}  // namespace unirep::modalities::detail
