// Written from OpenCV 4.6's resize (imgproc/src/resize.cpp, resizeGeneric with HResizeLinear and
// VResizeLinear for uchar): per output column, fx = float((dx + 0.5) * scale - 0.5), sx = floor(fx),
// weights rounded to 1/2048 (clamped to the edge pixel with weight 1 outside the image); rows the
// same, with the row index clamped instead. The horizontal pass keeps the exact integer sums; the
// vertical pass rounds as the SIMD kernel: ((S0 >> 4) * b0 >> 16) + ((S1 >> 4) * b1 >> 16), + 2 >> 2.
#include "modalities/image/opencv_resize.h"
#include "modalities/image/pil_resize.h"

#include "resize_window.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace unirep::modalities {
namespace {

constexpr int kCoefScale = 2048;

struct Taps {
  std::vector<int> index;       // first source index
  std::vector<int16_t> w0, w1;  // weights of index and index + 1
};

int16_t round_coef(float v) {
  return static_cast<int16_t>(std::lrint(v * kCoefScale));
}

// Taps of outputs [from, from + n) of a resize from `in` to `out`; each depends only on its own
// output index, so a range gives the same taps as the whole.
Taps columns(int in, int64_t out, int64_t from, int n) {
  const double scale = 1.0 / (static_cast<double>(out) / in);
  Taps t;
  for (int64_t d = from; d < from + n; ++d) {
    float f = static_cast<float>((static_cast<double>(d) + 0.5) * scale - 0.5);
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

Taps rows(int in, int64_t out, int64_t from, int n) {
  const double scale = 1.0 / (static_cast<double>(out) / in);
  Taps t;
  for (int64_t d = from; d < from + n; ++d) {
    float f = static_cast<float>((static_cast<double>(d) + 0.5) * scale - 0.5);
    const int s = static_cast<int>(std::floor(f));
    f -= static_cast<float>(s);
    t.index.push_back(s);
    t.w0.push_back(round_coef(1.f - f));
    t.w1.push_back(round_coef(f));
  }
  return t;
}

[[noreturn]] void refuse(const std::string& what) {
  throw std::invalid_argument(what);
}

}  // namespace

RgbImage opencv_resize_linear_crop(const RgbImage& in, int64_t width, int64_t height, int64_t left, int64_t top,
                                   int crop_width, int crop_height) {
  check_resize_window(in, width, height, left, top, crop_width, crop_height);
  const Taps cx = columns(in.width, width, left, crop_width), cy = rows(in.height, height, top, crop_height);
  // The horizontal pass only on the source rows the window's output rows read (two each at most),
  // as ints (value x 2048): the work and memory follow the window, not the whole resize.
  std::vector<int> source_rows;                 // non-decreasing, as the row taps are
  std::vector<std::pair<size_t, size_t>> slot;  // per output row: where its two source rows are
  for (int y = 0; y < crop_height; ++y) {
    const int s = cy.index[static_cast<size_t>(y)];
    const int r[2] = {std::min(std::max(s, 0), in.height - 1), std::min(std::max(s + 1, 0), in.height - 1)};
    size_t at[2];
    for (int k = 0; k < 2; ++k) {
      if (source_rows.empty() || source_rows.back() != r[k]) source_rows.push_back(r[k]);
      at[k] = source_rows.size() - 1;
    }
    slot.emplace_back(at[0], at[1]);
  }
  const size_t row = static_cast<size_t>(crop_width) * 3;
  std::vector<int32_t> h(source_rows.size() * row);
  for (size_t i = 0; i < source_rows.size(); ++i) {
    const int y = source_rows[i];
    int32_t* o = h.data() + i * row;
    for (int x = 0; x < crop_width; ++x) {
      const int s = cx.index[static_cast<size_t>(x)];
      const int s1 = s + 1 < in.width ? s + 1 : s;
      const uint8_t* p0 = in.at(y, s);
      const uint8_t* p1 = in.at(y, s1);
      for (int c = 0; c < 3; ++c)
        o[x * 3 + c] = p0[c] * cx.w0[static_cast<size_t>(x)] + p1[c] * cx.w1[static_cast<size_t>(x)];
    }
  }
  RgbImage out;
  out.width = crop_width;
  out.height = crop_height;
  out.pixels.resize(row * static_cast<size_t>(crop_height));
  for (int y = 0; y < crop_height; ++y) {
    const int32_t* a = h.data() + slot[static_cast<size_t>(y)].first * row;
    const int32_t* b = h.data() + slot[static_cast<size_t>(y)].second * row;
    const int32_t b0 = cy.w0[static_cast<size_t>(y)], b1 = cy.w1[static_cast<size_t>(y)];
    uint8_t* o = out.pixels.data() + static_cast<size_t>(y) * row;
    for (size_t i = 0; i < row; ++i) {
      const int32_t v = (((a[i] >> 4) * b0) >> 16) + (((b[i] >> 4) * b1) >> 16);
      const int32_t r = (v + 2) >> 2;
      o[i] = static_cast<uint8_t>(r < 0 ? 0 : (r > 255 ? 255 : r));
    }
  }
  return out;
}

RgbImage opencv_resize_linear(const RgbImage& in, int width, int height) {
  if (in.empty()) throw std::invalid_argument("cannot resize an empty image");
  if (width <= 0 || height <= 0)
    throw std::invalid_argument("invalid resize target " + std::to_string(width) + " x " + std::to_string(height));
  return opencv_resize_linear_crop(in, width, height, 0, 0, width, height);
}

std::pair<int64_t, int64_t> opencv_short_side_size(int width, int height, int size) {
  if (width <= 0 || height <= 0) throw std::invalid_argument("cannot resize an empty image");
  if (size <= 0) throw std::invalid_argument("invalid resize target " + std::to_string(size));
  if ((width <= height && width == size) || (height <= width && height == size)) return {width, height};
  const double exact =
      width < height ? static_cast<double>(size) * height / width : static_cast<double>(size) * width / height;
  if (exact >= 9.0e15)
    refuse("a " + std::to_string(width) + " x " + std::to_string(height) +
           " image cannot be resized to a short side of " + std::to_string(size));
  const auto other = static_cast<int64_t>(exact);
  return width < height ? std::pair<int64_t, int64_t>{size, other} : std::pair<int64_t, int64_t>{other, size};
}

RgbImage opencv_resize_short_side(const RgbImage& in, int size) {
  if (in.empty()) throw std::invalid_argument("cannot resize an empty image");
  const auto [w, h] = opencv_short_side_size(in.width, in.height, size);
  if (w == in.width && h == in.height) return in;
  if (w * h > kMaxResizePixels)
    refuse("resizing " + std::to_string(in.width) + " x " + std::to_string(in.height) + " to a short side of " +
           std::to_string(size) + " would make " + std::to_string(w) + " x " + std::to_string(h) +
           " pixels, more than the limit of " + std::to_string(kMaxResizePixels));
  return opencv_resize_linear(in, static_cast<int>(w), static_cast<int>(h));
}

RgbImage opencv_resize_short_side_crop(const RgbImage& in, int size, int64_t left, int64_t top, int crop_width,
                                       int crop_height) {
  if (in.empty()) throw std::invalid_argument("cannot resize an empty image");
  const auto [w, h] = opencv_short_side_size(in.width, in.height, size);
  if (w == in.width && h == in.height) {  // left as it is (VideoMAE's resize_clip), so only cut
    if (crop_width <= 0 || crop_height <= 0 || left < 0 || top < 0 || left + crop_width > w || top + crop_height > h)
      refuse("the window " + std::to_string(crop_width) + " x " + std::to_string(crop_height) + " is not inside " +
             std::to_string(w) + " x " + std::to_string(h));
    RgbImage out;
    out.width = crop_width;
    out.height = crop_height;
    out.pixels.resize(static_cast<size_t>(crop_width) * crop_height * 3);
    for (int y = 0; y < crop_height; ++y)
      std::copy_n(in.at(static_cast<int>(top) + y, static_cast<int>(left)), static_cast<size_t>(crop_width) * 3,
                  out.at(y, 0));
    return out;
  }
  return opencv_resize_linear_crop(in, w, h, left, top, crop_width, crop_height);
}

}  // namespace unirep::modalities
