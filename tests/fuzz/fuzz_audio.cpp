// decode_audio on any bytes: libsndfile for the containers it reads, FFmpeg (whitelisted demuxers)
// for the rest, picked by content; the first byte chooses the extension.
#include "modalities/audio/decode.h"

#include <exception>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* kExt[] = {".wav", ".flac", ".ogg", ".mp3", ".m4a", ".opus", ".aiff", ".bin"};
  const std::string path = unirep::fuzz::write_input(data + 1, size - 1, kExt[data[0] % 8]);
  try {
    unirep::modalities::DecodeOptions o;
    o.max_seconds = 30;
    (void)unirep::modalities::decode_audio(path, o);
  } catch (const std::exception&) {
  }
  return 0;
}
