// VideoReader on any bytes: the demux pass, then the first, a middle and the last frame.
#include "modalities/video/video_reader.h"

#include <exception>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* kExt[] = {".mp4", ".mkv", ".avi", ".webm", ".ts", ".gif", ".mov", ".bin"};
  const std::string path = unirep::fuzz::write_input(data + 1, size - 1, kExt[data[0] % 8]);
  try {
    unirep::modalities::VideoReaderOptions o;
    o.max_frames = 2000;
    o.max_pixels = 1024 * 1024;
    unirep::modalities::VideoReader reader(path, o);
    const int64_t n = reader.info().frames;
    (void)reader.frames({n - 1, 0, n / 2});
  } catch (const std::exception&) {
  }
  return 0;
}
