// decode_image_bytes (every FFmpeg image demuxer on the whitelist) and the evaluation transform,
// with a small pixel limit so that valid huge headers are refused rather than decoded.
#include <unirep/modalities/image/image_decode.h>
#include <unirep/modalities/image/image_transform.h>

#include <exception>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  unirep::modalities::image::ImageDecodeOptions o;
  o.max_pixels = 4096 * 4096;
  try {
    auto im = unirep::modalities::image::decode_image_bytes(data, size, "fuzz", o);
    unirep::modalities::image::ImageTransformOptions t;
    t.size = 32;
    (void)unirep::modalities::image::eval_transform(im, t);
  } catch (const std::exception&) {
  }
  return 0;
}
