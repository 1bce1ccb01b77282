// Written from OpenCV 4.6's resize (imgproc/src/resize.cpp, resizeGeneric with HResizeLinear and
// VResizeLinear for uchar): per output column, fx = float((dx + 0.5) * scale - 0.5), sx = floor(fx),
// weights rounded to 1/2048 (clamped to the edge pixel with weight 1 outside the image); rows the
// same, with the row index clamped instead. The horizontal pass keeps the exact integer sums; the
// vertical pass rounds as the SIMD kernel: ((S0 >> 4) * b0 >> 16) + ((S1 >> 4) * b1 >> 16), + 2 >> 2.
#include <unirep/modalities/image/opencv_resize.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace unirep::modalities::image {
namespace {

constexpr int kCoefScale = 2048;

struct Taps {
  std::vector<int> index;          // first source index
  std::vector<int16_t> w0, w1;     // weights of index and index + 1
};

int16_t round_coef(float v) { return static_cast<int16_t>(std::lrint(v * kCoefScale)); }

Taps columns(int in, int out) {
  const double scale = 1.0 / (static_cast<double>(out) / in);
  Taps t;
  for (int d = 0; d < out; ++d) {
    float f = static_cast<float>((d + 0.5) * scale - 0.5);
    int s = static_cast<int>(std::floor(f));
    f -= static_cast<float>(s);
    if (s < 0) f = 0, s = 0;
    if (s >= in - 1) f = 0, s = in - 1;
    t.index.push_back(s);
    t.w0.push_back(round_coef(1.f - f));
    t.w1.push_back(round_coef(f));
  }
  return t;
}

Taps rows(int in, int out) {
  const double scale = 1.0 / (static_cast<double>(out) / in);
  Taps t;
  for (int d = 0; d < out; ++d) {
    float f = static_cast<float>((d + 0.5) * scale - 0.5);
    const int s = static_cast<int>(std::floor(f));
    f -= static_cast<float>(s);
    t.index.push_back(s);
    t.w0.push_back(round_coef(1.f - f));
    t.w1.push_back(round_coef(f));
  }
  return t;
}

}  // namespace

RgbImage opencv_resize_linear(const RgbImage& in, int width, int height) {
  if (in.empty()) throw std::invalid_argument("cannot resize an empty image");
  if (width <= 0 || height <= 0) throw std::invalid_argument("invalid resize target " + std::to_string(width) + " x " + std::to_string(height));
  const Taps cx = columns(in.width, width), cy = rows(in.height, height);
  // Horizontal pass on every source row, as ints (value x 2048).
  const size_t row = static_cast<size_t>(width) * 3;
  std::vector<int32_t> h(static_cast<size_t>(in.height) * row);
  for (int y = 0; y < in.height; ++y) {
    int32_t* o = h.data() + static_cast<size_t>(y) * row;
    for (int x = 0; x < width; ++x) {
      const int s = cx.index[x];
      const int s1 = s + 1 < in.width ? s + 1 : s;
      const uint8_t* p0 = in.at(y, s);
      const uint8_t* p1 = in.at(y, s1);
      for (int c = 0; c < 3; ++c) o[x * 3 + c] = p0[c] * cx.w0[x] + p1[c] * cx.w1[x];
    }
  }
  RgbImage out;
  out.width = width;
  out.height = height;
  out.pixels.resize(row * height);
  for (int y = 0; y < height; ++y) {
    const int s = cy.index[y];
    const int r0 = std::min(std::max(s, 0), in.height - 1), r1 = std::min(std::max(s + 1, 0), in.height - 1);
    const int32_t* a = h.data() + static_cast<size_t>(r0) * row;
    const int32_t* b = h.data() + static_cast<size_t>(r1) * row;
    const int32_t b0 = cy.w0[y], b1 = cy.w1[y];
    uint8_t* o = out.pixels.data() + static_cast<size_t>(y) * row;
    for (size_t i = 0; i < row; ++i) {
      const int32_t v = (((a[i] >> 4) * b0) >> 16) + (((b[i] >> 4) * b1) >> 16);
      const int32_t r = (v + 2) >> 2;
      o[i] = static_cast<uint8_t>(r < 0 ? 0 : (r > 255 ? 255 : r));
    }
  }
  return out;
}

RgbImage opencv_resize_short_side(const RgbImage& in, int size) {
  if (in.empty()) throw std::invalid_argument("cannot resize an empty image");
  if ((in.width <= in.height && in.width == size) || (in.height <= in.width && in.height == size)) return in;
  int w, h;
  if (in.width < in.height) w = size, h = static_cast<int>(static_cast<double>(size) * in.height / in.width);
  else h = size, w = static_cast<int>(static_cast<double>(size) * in.width / in.height);
  return opencv_resize_linear(in, w, h);
}

}  // namespace unirep::modalities::image
