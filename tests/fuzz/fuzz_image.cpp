// decode_image_bytes (every FFmpeg image demuxer on the whitelist) and the evaluation transform,
// with a small pixel limit so that valid huge headers are refused rather than decoded.
#include "modalities/image/image_decode.h"
#include "modalities/image/image_transform.h"

#include <exception>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  unirep::modalities::ImageDecodeOptions o;
  o.max_pixels = 4096 * 4096;
  try {
    auto im = unirep::modalities::decode_image_bytes(data, size, "fuzz", o);
    unirep::modalities::ImageTransformOptions t;
    t.size = 32;
    (void)unirep::modalities::eval_transform(im, t);
  } catch (const std::exception&) {
  }
  return 0;
}
