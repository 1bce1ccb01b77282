#include "ffmpeg_support.h"

extern "C" {
#include <libavutil/error.h>
#include <libavutil/log.h>
}

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace unirep::modalities {

std::string av_error(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

namespace {

thread_local OversizePicture* active_oversize = nullptr;

// Prints nothing (the SDK reports through exceptions); only reads the one message OversizePicture
// wants, on the thread that wants it.
void log_callback(void*, int level, const char* format, va_list args) {
  if (!active_oversize || level > AV_LOG_ERROR || !std::strstr(format, "exceeds specified max pixel count")) return;
  char line[512];
  std::vsnprintf(line, sizeof line, format, args);
  unsigned w = 0, h = 0;
  if (std::sscanf(line, "Picture size %ux%u", &w, &h) == 2) active_oversize->width = w, active_oversize->height = h;
}

}  // namespace

void quiet_ffmpeg_logging() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_log_set_level(AV_LOG_QUIET);
    av_log_set_callback(log_callback);
  });
}

OversizePicture::OversizePicture() : outer_(active_oversize) {
  active_oversize = this;
}
OversizePicture::~OversizePicture() {
  active_oversize = outer_;
}

}  // namespace unirep::modalities
