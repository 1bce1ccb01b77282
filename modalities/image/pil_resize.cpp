// Pillow-compatible resampling. The arithmetic below (double-precision weights, the
// (int)(x + 0.5) window bounds, 22-bit fixed point, rounding offset, clip to 0..255 after each
// pass) is what makes the result equal to PIL's, not merely close; change none of it casually.
#include "modalities/image/pil_resize.h"

#include "resize_window.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace unirep::modalities {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double bicubic(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

double bilinear(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

[[noreturn]] void refuse(const std::string& what) {
  throw std::invalid_argument(what);
}

// For each output index of a range: the first input index, how many inputs, and their fixed-point
// weights.
struct Coefficients {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int32_t> weights;  // outputs x ksize
};

// The weights of outputs [from, from + n) of a resize from in_size to out_size. They depend only on
// the output index, so a range gives the same numbers as the whole (docs/images.md, Limits).
Coefficients precompute(int in_size, int64_t out_size, int64_t from, int n, ResampleFilter filter) {
  const double support_unit = filter == ResampleFilter::Bicubic ? 2.0 : 1.0;
  double (*f)(double) = filter == ResampleFilter::Bicubic ? bicubic : bilinear;
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = support_unit * filterscale;
  Coefficients c;
  // A window never holds more than the whole input, so a larger ksize would only be zeros.
  const double ksize = std::min(std::ceil(support) * 2 + 1, static_cast<double>(in_size) + 2);
  c.ksize = static_cast<int>(ksize);
  if (ksize * n > static_cast<double>(kMaxResizePixels))
    refuse("resizing " + std::to_string(in_size) + " pixels to " + std::to_string(out_size) + " needs " +
           std::to_string(static_cast<int64_t>(ksize * n)) + " filter weights, more than the limit of " +
           std::to_string(kMaxResizePixels));
  c.first.resize(static_cast<size_t>(n));
  c.count.resize(static_cast<size_t>(n));
  c.weights.assign(static_cast<size_t>(n) * c.ksize, 0);
  std::vector<double> k(static_cast<size_t>(c.ksize));
  for (int i = 0; i < n; ++i) {
    const double center = (static_cast<double>(from + i) + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(std::min(center + support + 0.5, static_cast<double>(in_size)));
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[static_cast<size_t>(x)] = f((x + xmin - center + 0.5) * ss);
      ww += k[static_cast<size_t>(x)];
    }
    for (int x = 0; x < xmax; ++x) {
      const double w = ww != 0.0 ? k[static_cast<size_t>(x)] / ww : k[static_cast<size_t>(x)];
      c.weights[static_cast<size_t>(i) * c.ksize + x] =
          static_cast<int32_t>(w < 0 ? -0.5 + w * (1 << kPrecisionBits) : 0.5 + w * (1 << kPrecisionBits));
    }
    c.first[static_cast<size_t>(i)] = xmin;
    c.count[static_cast<size_t>(i)] = xmax;
  }
  return c;
}

inline uint8_t clip8(int32_t v) {
  const int32_t s = v >> kPrecisionBits;
  return static_cast<uint8_t>(s < 0 ? 0 : (s > 255 ? 255 : s));
}

// Rows [row0, row0 + rows) of `in`, resized horizontally to the columns `c` describes.
RgbImage horizontal(const RgbImage& in, int row0, int rows, const Coefficients& c) {
  RgbImage out;
  out.width = static_cast<int>(c.first.size());
  out.height = rows;
  out.pixels.resize(static_cast<size_t>(out.width) * rows * 3);
  for (int y = 0; y < rows; ++y)
    for (int xx = 0; xx < out.width; ++xx) {
      const int32_t* k = &c.weights[static_cast<size_t>(xx) * c.ksize];
      const uint8_t* src = in.at(row0 + y, c.first[static_cast<size_t>(xx)]);
      int32_t s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
      for (int x = 0; x < c.count[static_cast<size_t>(xx)]; ++x) {
        s0 += src[3 * x + 0] * k[x];
        s1 += src[3 * x + 1] * k[x];
        s2 += src[3 * x + 2] * k[x];
      }
      uint8_t* o = out.at(y, xx);
      o[0] = clip8(s0), o[1] = clip8(s1), o[2] = clip8(s2);
    }
  return out;
}

// The rows `c` describes of a vertical resize of `in`, whose first row is input row `row0`.
RgbImage vertical(const RgbImage& in, int row0, const Coefficients& c) {
  RgbImage out;
  out.width = in.width;
  out.height = static_cast<int>(c.first.size());
  out.pixels.resize(static_cast<size_t>(in.width) * out.height * 3);
  const size_t row = static_cast<size_t>(in.width) * 3;
  std::vector<int32_t> acc(row);
  for (int yy = 0; yy < out.height; ++yy) {
    const int32_t* k = &c.weights[static_cast<size_t>(yy) * c.ksize];
    std::fill(acc.begin(), acc.end(), 1 << (kPrecisionBits - 1));
    for (int y = 0; y < c.count[static_cast<size_t>(yy)]; ++y) {
      const uint8_t* src = in.at(c.first[static_cast<size_t>(yy)] - row0 + y, 0);
      const int32_t w = k[y];
      for (size_t i = 0; i < row; ++i) acc[i] += src[i] * w;
    }
    uint8_t* o = out.at(yy, 0);
    for (size_t i = 0; i < row; ++i) o[i] = clip8(acc[i]);
  }
  return out;
}

// Columns [left, left + width) and rows [top, top + height) of `in`.
RgbImage cut(const RgbImage& in, int left, int top, int width, int height) {
  RgbImage out;
  out.width = width;
  out.height = height;
  out.pixels.resize(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) std::copy_n(in.at(top + y, left), static_cast<size_t>(width) * 3, out.at(y, 0));
  return out;
}

// torchvision's centre-crop offset, round((full - part) / 2) with ties to even, in 64 bits.
int64_t centre_offset(int64_t full, int64_t part) {
  return static_cast<int64_t>(std::nearbyint(static_cast<double>(full - part) / 2.0));
}

}  // namespace

RgbImage pil_resize_crop(const RgbImage& in, int64_t width, int64_t height, int64_t left, int64_t top, int crop_width,
                         int crop_height, ResampleFilter filter) {
  check_resize_window(in, width, height, left, top, crop_width, crop_height);
  // Pillow's order: horizontal pass first (skipped when the width stays), then vertical (skipped when
  // the height stays), each rounded to 8 bits. Only the input rows the window's output rows read go
  // through the horizontal pass, as Pillow itself does, so the intermediate is the window's width
  // times those rows, never the full resized size.
  const bool need_vertical = height != in.height;
  Coefficients rows_c;
  int row0 = static_cast<int>(top), rows = crop_height;
  if (need_vertical) {
    rows_c = precompute(in.height, height, top, crop_height, filter);
    row0 = rows_c.first.front();
    rows = rows_c.first.back() + rows_c.count.back() - row0;
  }
  if (static_cast<int64_t>(crop_width) * rows > kMaxResizePixels)
    refuse("resizing " + std::to_string(in.width) + " x " + std::to_string(in.height) + " to " + std::to_string(width) +
           " x " + std::to_string(height) + " needs " + std::to_string(crop_width) + " x " + std::to_string(rows) +
           " pixels between its passes, more than the limit of " + std::to_string(kMaxResizePixels));
  RgbImage tmp = width != in.width ? horizontal(in, row0, rows, precompute(in.width, width, left, crop_width, filter))
                                   : cut(in, static_cast<int>(left), row0, crop_width, rows);
  return need_vertical ? vertical(tmp, row0, rows_c) : tmp;
}

RgbImage pil_resize(const RgbImage& in, int width, int height, ResampleFilter filter) {
  if (in.empty()) throw std::invalid_argument("cannot resize an empty image");
  if (width <= 0 || height <= 0)
    throw std::invalid_argument("invalid resize target " + std::to_string(width) + " x " + std::to_string(height));
  return pil_resize_crop(in, width, height, 0, 0, width, height, filter);
}

std::pair<int64_t, int64_t> short_side_size(int width, int height, int size) {
  if (width <= 0 || height <= 0) throw std::invalid_argument("cannot resize an empty image");
  if (size <= 0) throw std::invalid_argument("invalid resize target " + std::to_string(size));
  const bool wide = width > height;
  const int shorter = wide ? height : width, longer = wide ? width : height;
  // Python's int(size * long / short), exact in double for any int sizes.
  const double exact = static_cast<double>(size) * longer / shorter;
  if (exact >= 9.0e15)
    refuse("a " + std::to_string(width) + " x " + std::to_string(height) +
           " image cannot be resized to a short side of " + std::to_string(size));
  const int64_t new_long = static_cast<int64_t>(exact);
  return wide ? std::pair<int64_t, int64_t>{new_long, size} : std::pair<int64_t, int64_t>{size, new_long};
}

RgbImage resize_short_side(const RgbImage& in, int size, ResampleFilter filter) {
  if (in.empty()) throw std::invalid_argument("cannot resize an empty image");
  const auto [w, h] = short_side_size(in.width, in.height, size);
  if (w > std::numeric_limits<int>::max() || h > std::numeric_limits<int>::max() || w * h > kMaxResizePixels)
    refuse("resizing " + std::to_string(in.width) + " x " + std::to_string(in.height) + " to a short side of " +
           std::to_string(size) + " would make " + std::to_string(w) + " x " + std::to_string(h) +
           " pixels, more than the limit of " + std::to_string(kMaxResizePixels));
  return pil_resize(in, static_cast<int>(w), static_cast<int>(h), filter);
}

RgbImage resize_short_side_center_crop(const RgbImage& in, int size, int crop_width, int crop_height,
                                       ResampleFilter filter) {
  if (in.empty()) throw std::invalid_argument("cannot resize an empty image");
  if (crop_width <= 0 || crop_height <= 0)
    throw std::invalid_argument("invalid crop size " + std::to_string(crop_width) + " x " +
                                std::to_string(crop_height));
  const auto [w, h] = short_side_size(in.width, in.height, size);
  // A crop larger than the resized image pads it (torchvision); only then is the whole resize made.
  if (crop_width > w || crop_height > h)
    return center_crop(resize_short_side(in, size, filter), crop_width, crop_height);
  return pil_resize_crop(in, w, h, centre_offset(w, crop_width), centre_offset(h, crop_height), crop_width, crop_height,
                         filter);
}

RgbImage center_crop(const RgbImage& in, int width, int height) {
  if (width <= 0 || height <= 0)
    throw std::invalid_argument("invalid crop size " + std::to_string(width) + " x " + std::to_string(height));
  RgbImage src = in;
  if (width > in.width || height > in.height) {
    // torchvision pads (left, top) = ((w - W) // 2, (h - H) // 2), the rest right and bottom.
    const int pw = std::max(width - in.width, 0), ph = std::max(height - in.height, 0);
    src.width = in.width + pw;
    src.height = in.height + ph;
    src.pixels.assign(static_cast<size_t>(src.width) * src.height * 3, 0);
    for (int y = 0; y < in.height; ++y)
      std::copy_n(in.at(y, 0), static_cast<size_t>(in.width) * 3, src.at(y + ph / 2, pw / 2));
  }
  const int top = static_cast<int>(std::nearbyint((src.height - height) / 2.0));
  const int left = static_cast<int>(std::nearbyint((src.width - width) / 2.0));
  return cut(src, left, top, width, height);
}

}  // namespace unirep::modalities
