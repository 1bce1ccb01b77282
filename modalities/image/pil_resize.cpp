// Pillow-compatible resampling. The arithmetic below (double-precision weights, the
// (int)(x + 0.5) window bounds, 22-bit fixed point, rounding offset, clip to 0..255 after each
// pass) is what makes the result equal to PIL's, not merely close; change none of it casually.
#include <unirep/modalities/image/pil_resize.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace unirep::modalities::image {
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

// For each output index: the first input index, how many inputs, and their fixed-point weights.
struct Coefficients {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int32_t> weights;  // out_size x ksize
};

Coefficients precompute(int in_size, int out_size, ResampleFilter filter) {
  const double support_unit = filter == ResampleFilter::Bicubic ? 2.0 : 1.0;
  double (*f)(double) = filter == ResampleFilter::Bicubic ? bicubic : bilinear;
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = support_unit * filterscale;
  Coefficients c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weights.assign(static_cast<size_t>(out_size) * c.ksize, 0);
  std::vector<double> k(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[x] = f((x + xmin - center + 0.5) * ss);
      ww += k[x];
    }
    for (int x = 0; x < xmax; ++x) {
      const double w = ww != 0.0 ? k[x] / ww : k[x];
      c.weights[static_cast<size_t>(xx) * c.ksize + x] =
          static_cast<int32_t>(w < 0 ? -0.5 + w * (1 << kPrecisionBits) : 0.5 + w * (1 << kPrecisionBits));
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

inline uint8_t clip8(int32_t v) {
  const int32_t s = v >> kPrecisionBits;
  return static_cast<uint8_t>(s < 0 ? 0 : (s > 255 ? 255 : s));
}

RgbImage horizontal(const RgbImage& in, int width, const Coefficients& c) {
  RgbImage out;
  out.width = width;
  out.height = in.height;
  out.pixels.resize(static_cast<size_t>(width) * in.height * 3);
  for (int y = 0; y < in.height; ++y)
    for (int xx = 0; xx < width; ++xx) {
      const int32_t* k = &c.weights[static_cast<size_t>(xx) * c.ksize];
      const uint8_t* src = in.at(y, c.first[xx]);
      int32_t s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
      for (int x = 0; x < c.count[xx]; ++x) {
        s0 += src[3 * x + 0] * k[x];
        s1 += src[3 * x + 1] * k[x];
        s2 += src[3 * x + 2] * k[x];
      }
      uint8_t* o = out.at(y, xx);
      o[0] = clip8(s0), o[1] = clip8(s1), o[2] = clip8(s2);
    }
  return out;
}

RgbImage vertical(const RgbImage& in, int height, const Coefficients& c) {
  RgbImage out;
  out.width = in.width;
  out.height = height;
  out.pixels.resize(static_cast<size_t>(in.width) * height * 3);
  const size_t row = static_cast<size_t>(in.width) * 3;
  std::vector<int32_t> acc(row);
  for (int yy = 0; yy < height; ++yy) {
    const int32_t* k = &c.weights[static_cast<size_t>(yy) * c.ksize];
    std::fill(acc.begin(), acc.end(), 1 << (kPrecisionBits - 1));
    for (int y = 0; y < c.count[yy]; ++y) {
      const uint8_t* src = in.at(c.first[yy] + y, 0);
      const int32_t w = k[y];
      for (size_t i = 0; i < row; ++i) acc[i] += src[i] * w;
    }
    uint8_t* o = out.at(yy, 0);
    for (size_t i = 0; i < row; ++i) o[i] = clip8(acc[i]);
  }
  return out;
}

}  // namespace

RgbImage pil_resize(const RgbImage& in, int width, int height, ResampleFilter filter) {
  if (in.empty()) throw std::invalid_argument("cannot resize an empty image");
  if (width <= 0 || height <= 0)
    throw std::invalid_argument("invalid resize target " + std::to_string(width) + " x " + std::to_string(height));
  RgbImage out = in;
  if (width != in.width) out = horizontal(out, width, precompute(in.width, width, filter));
  if (height != in.height) out = vertical(out, height, precompute(in.height, height, filter));
  return out;
}

RgbImage resize_short_side(const RgbImage& in, int size, ResampleFilter filter) {
  if (in.empty()) throw std::invalid_argument("cannot resize an empty image");
  if (size <= 0) throw std::invalid_argument("invalid resize target " + std::to_string(size));
  const bool wide = in.width > in.height;
  const int shorter = wide ? in.height : in.width, longer = wide ? in.width : in.height;
  const int new_long = static_cast<int>(static_cast<double>(size) * longer / shorter);
  return wide ? pil_resize(in, new_long, size, filter) : pil_resize(in, size, new_long, filter);
}

RgbImage center_crop(const RgbImage& in, int width, int height) {
  if (width <= 0 || height <= 0) throw std::invalid_argument("invalid crop size " + std::to_string(width) + " x " + std::to_string(height));
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
  RgbImage out;
  out.width = width;
  out.height = height;
  out.pixels.resize(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) std::copy_n(src.at(top + y, left), static_cast<size_t>(width) * 3, out.at(y, 0));
  return out;
}

}  // namespace unirep::modalities::image
