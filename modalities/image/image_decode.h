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
// Every error is a std::runtime_error whose message starts with the file's path. The pixel limit
// bounds every step after decoding too: resizing and cropping never hold more than a bounded
// multiple of the input's and the output's pixels (docs/images.md, Limits).
#include "modalities/image/rgb_image.h"

#include <cstdint>
#include <string>

namespace unirep::modalities {

// The default pixel limit: PIL's DecompressionBombError threshold (2 x Image.MAX_IMAGE_PIXELS =
// 2 x 89478485), about 13400 x 13400; PIL only warns between MAX_IMAGE_PIXELS and this, and so
// decodes every image the official pipeline decodes (docs/images.md, Limits).
inline constexpr int64_t kDefaultMaxImagePixels = 178956970;
// The environment variable that sets the pixel limit when ImageDecodeOptions::max_pixels is 0 (how
// the CLI gets it): a positive whole number of pixels.
inline constexpr const char* kMaxImagePixelsVariable = "UNIREP_MAX_IMAGE_PIXELS";
// The default size limit of an image file (docs/images.md, Limits): far above any real image
// (even an uncompressed 16-bit RGBA TIFF at the pixel limit is 1.4 GB, a JPEG of it ~100 MB).
inline constexpr int64_t kDefaultMaxImageFileBytes = int64_t{1} << 30;

struct ImageDecodeOptions {
  // Honour the EXIF Orientation tag (rotate / mirror as cameras intend). Off by default, because
  // the official pipeline (PIL's Image.open + convert) ignores it.
  bool exif_rotate = false;
  // Refuse images with more pixels than this, from the size in their header, before their frame is
  // allocated. 0: UNIREP_MAX_IMAGE_PIXELS when it is set, else kDefaultMaxImagePixels.
  int64_t max_pixels = 0;
  // Refuse files larger than this (bytes) before reading them; a pipe, FIFO or device ("-" is
  // standard input) is cut off with an error past it, and one with no writer fails after 10 s.
  int64_t max_file_bytes = kDefaultMaxImageFileBytes;
};

// The pixel limit `options` means: max_pixels, else UNIREP_MAX_IMAGE_PIXELS, else the default.
// Throws std::invalid_argument naming max_pixels or the variable when either is not positive.
int64_t max_image_pixels(const ImageDecodeOptions& options);

RgbImage decode_image(const std::string& path, const ImageDecodeOptions& options = {});

// The same for an encoded image already in memory (`name` is used in error messages).
RgbImage decode_image_bytes(const uint8_t* data, size_t size, const std::string& name,
                            const ImageDecodeOptions& options = {});

}  // namespace unirep::modalities
