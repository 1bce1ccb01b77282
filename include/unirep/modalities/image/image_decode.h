#pragma once
// Image files to RGB bytes through FFmpeg: JPEG, PNG (also 16-bit and palette), BMP, WebP, TIFF,
// GIF (first frame), PPM/PGM/PAM, QOI, JPEG 2000 and the other still-image formats FFmpeg decodes.
// The format is recognized from the content only (FFmpeg's image probes on the bytes in memory), so a
// wrong extension does not matter and a file name is never interpreted as a pattern.
//
// Conversion to RGB follows PIL's `convert('RGB')` where PIL is defined: alpha is dropped (not
// blended), grey is replicated, palettes are looked up; 16-bit samples keep their high byte (PIL
// does so for 16-bit RGB PNG; for 16-bit grey PIL clips to 255 instead, which whitens the image, so
// we deliberately scale). YUV images (JPEG, lossy WebP) go through libswscale with the file's own
// matrix and range; JPEG decoders differ by a few levels from libjpeg, as any two JPEG decoders do.
//
// Every error is a std::runtime_error whose message starts with the file's path.
#include <unirep/modalities/image/rgb_image.h>

#include <cstdint>
#include <string>

namespace unirep::modalities::image {

struct ImageDecodeOptions {
  // Honour the EXIF Orientation tag (rotate / mirror as cameras intend). Off by default, because
  // the official pipeline (PIL's Image.open + convert) ignores it.
  bool exif_rotate = false;
  // Refuse images with more pixels than this before decoding them: PIL's DecompressionBombError
  // limit (2 x 89478485), about 13400 x 13400.
  int64_t max_pixels = 178956970;
  // Refuse files larger than this (bytes) before reading them.
  int64_t max_file_bytes = int64_t{1} << 30;
};

RgbImage decode_image(const std::string& path, const ImageDecodeOptions& options = {});

// The same for an encoded image already in memory (`name` is used in error messages).
RgbImage decode_image_bytes(const uint8_t* data, size_t size, const std::string& name, const ImageDecodeOptions& options = {});

}  // namespace unirep::modalities::image
