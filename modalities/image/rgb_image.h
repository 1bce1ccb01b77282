#pragma once
// An 8-bit RGB image as plain bytes: row-major, height x width x 3, no padding between rows.
// Decoders fill it, the PIL-compatible resize and the crop act on it, transforms turn it into a
// float tensor.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace unirep::modalities {

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // width * height * 3

  const uint8_t* at(int y, int x) const { return pixels.data() + (static_cast<std::size_t>(y) * width + x) * 3; }
  uint8_t* at(int y, int x) { return pixels.data() + (static_cast<std::size_t>(y) * width + x) * 3; }
  bool empty() const { return width <= 0 || height <= 0; }
};

}  // namespace unirep::modalities
