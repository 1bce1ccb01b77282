// Written from the behaviour of torchvision's RandomResizedCrop and timm's auto_augment.py
// (RandAugment, "inc1" level functions), on 8-bit RGB.
#include "modalities/image/image_augment.h"
#include "modalities/image/pil_resize.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

namespace unirep::modalities {
namespace {

constexpr uint8_t kFill[3] = {124, 116, 104};  // timm: round(255 * ImageNet mean)

uint8_t clamp8(double v) {
  return static_cast<uint8_t>(std::min(255.0, std::max(0.0, std::round(v))));
}

RgbImage crop(const RgbImage& in, int left, int top, int w, int h) {
  RgbImage out;
  out.width = w, out.height = h;
  out.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) std::memcpy(out.at(y, 0), in.at(top + y, left), static_cast<size_t>(w) * 3);
  return out;
}

void flip_lr(RgbImage& im) {
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width / 2; ++x) std::swap_ranges(im.at(y, x), im.at(y, x) + 3, im.at(y, im.width - 1 - x));
}

// Inverse-mapped affine warp: output (x, y) samples the input at (a x + b y + c, d x + e y + f),
// pixel centres at +0.5 as PIL's transform does, bilinear, outside filled with kFill.
RgbImage affine(const RgbImage& in, double a, double b, double c, double d, double e, double f) {
  RgbImage out;
  out.width = in.width, out.height = in.height;
  out.pixels.resize(in.pixels.size());
  for (int y = 0; y < in.height; ++y)
    for (int x = 0; x < in.width; ++x) {
      const double sx = a * (x + 0.5) + b * (y + 0.5) + c - 0.5, sy = d * (x + 0.5) + e * (y + 0.5) + f - 0.5;
      uint8_t* o = out.at(y, x);
      if (sx < -0.5 || sy < -0.5 || sx > in.width - 0.5 || sy > in.height - 0.5) {
        std::memcpy(o, kFill, 3);
        continue;
      }
      const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
      const double fx = sx - x0, fy = sy - y0;
      for (int ch = 0; ch < 3; ++ch) {
        double v = 0;
        for (int dy = 0; dy < 2; ++dy)
          for (int dx = 0; dx < 2; ++dx) {
            const int xx = std::clamp(x0 + dx, 0, in.width - 1), yy = std::clamp(y0 + dy, 0, in.height - 1);
            v += (dx ? fx : 1 - fx) * (dy ? fy : 1 - fy) * in.at(yy, xx)[ch];
          }
        o[ch] = clamp8(v);
      }
    }
  return out;
}

// PIL ImageEnhance: blend with a degenerate image, out = degenerate + factor * (image - degenerate).
RgbImage blend(const RgbImage& im, const RgbImage& degenerate, double factor) {
  RgbImage out = im;
  for (size_t i = 0; i < im.pixels.size(); ++i)
    out.pixels[i] = clamp8(degenerate.pixels[i] + factor * (static_cast<double>(im.pixels[i]) - degenerate.pixels[i]));
  return out;
}

uint8_t luma(const uint8_t* p) {
  return static_cast<uint8_t>((p[0] * 299 + p[1] * 587 + p[2] * 114) / 1000);
}  // PIL's "L"

RgbImage grey(const RgbImage& im) {
  RgbImage g = im;
  for (size_t i = 0; i < g.pixels.size(); i += 3) g.pixels[i] = g.pixels[i + 1] = g.pixels[i + 2] = luma(&im.pixels[i]);
  return g;
}

RgbImage autocontrast(const RgbImage& im) {
  RgbImage out = im;
  for (int ch = 0; ch < 3; ++ch) {
    int lo = 255, hi = 0;
    for (size_t i = ch; i < im.pixels.size(); i += 3)
      lo = std::min<int>(lo, im.pixels[i]), hi = std::max<int>(hi, im.pixels[i]);
    if (hi <= lo) continue;
    const double scale = 255.0 / (hi - lo);
    for (size_t i = ch; i < im.pixels.size(); i += 3) out.pixels[i] = clamp8((im.pixels[i] - lo) * scale);
  }
  return out;
}

RgbImage equalize(const RgbImage& im) {  // PIL ImageOps.equalize, per channel
  RgbImage out = im;
  for (int ch = 0; ch < 3; ++ch) {
    std::array<int, 256> hist{};
    for (size_t i = ch; i < im.pixels.size(); i += 3) ++hist[im.pixels[i]];
    int last = 255;
    while (last > 0 && hist[last] == 0) --last;
    const int total = static_cast<int>(im.pixels.size() / 3);
    const int step = (total - hist[last]) / 255;
    if (step == 0) continue;
    std::array<uint8_t, 256> lut{};
    int n = step / 2;
    for (int v = 0; v < 256; ++v) {
      lut[v] = static_cast<uint8_t>(std::min(255, n / step));
      n += hist[v];
    }
    for (size_t i = ch; i < im.pixels.size(); i += 3) out.pixels[i] = lut[im.pixels[i]];
  }
  return out;
}

RgbImage sharpen_degenerate(const RgbImage& im) {  // PIL's SMOOTH kernel [[1,1,1],[1,5,1],[1,1,1]] / 13, border kept
  RgbImage out = im;
  for (int y = 1; y + 1 < im.height; ++y)
    for (int x = 1; x + 1 < im.width; ++x)
      for (int ch = 0; ch < 3; ++ch) {
        int s = 0;
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) s += im.at(y + dy, x + dx)[ch] * (dx == 0 && dy == 0 ? 5 : 1);
        out.at(y, x)[ch] = clamp8(s / 13.0);
      }
  return out;
}

// The RandAugment operations that take more than a line, each at level m in [0, 1] (timm's "inc1"
// level functions).
RgbImage rotate(const RgbImage& im, double degrees) {  // about the centre
  const double cx = im.width / 2.0, cy = im.height / 2.0;
  const double t = degrees * M_PI / 180.0, c = std::cos(t), s = std::sin(t);
  return affine(im, c, s, cx - c * cx - s * cy, -s, c, cy + s * cx - c * cy);
}

void posterize(RgbImage& im, double m) {  // Posterize (inc): keep 4 - int(4 m) bits
  const int bits = std::max(1, 4 - static_cast<int>(4 * m));
  const uint8_t mask = static_cast<uint8_t>(~((1 << (8 - bits)) - 1));
  for (auto& v : im.pixels) v &= mask;
}

void solarize(RgbImage& im, double m) {  // Solarize (inc): invert above 256 - 256 m
  const int threshold = 256 - static_cast<int>(256 * m);
  for (auto& v : im.pixels)
    if (v >= threshold) v = static_cast<uint8_t>(255 - v);
}

void solarize_add(RgbImage& im, double m) {  // SolarizeAdd: add 110 m below 128
  const int add = static_cast<int>(110 * m);
  for (auto& v : im.pixels)
    if (v < 128) v = static_cast<uint8_t>(std::min(255, v + add));
}

RgbImage contrast(const RgbImage& im, double factor) {  // blend with the mean grey
  const auto g = grey(im);
  double mean = 0;
  for (size_t i = 0; i < g.pixels.size(); i += 3) mean += g.pixels[i];
  mean = std::round(mean / (g.pixels.size() / 3));
  RgbImage flat = im;
  std::fill(flat.pixels.begin(), flat.pixels.end(), static_cast<uint8_t>(mean));
  return blend(im, flat, factor);
}

RgbImage brightness(const RgbImage& im, double factor) {  // blend with black
  RgbImage black = im;
  std::fill(black.pixels.begin(), black.pixels.end(), 0);
  return blend(im, black, factor);
}

// RandAugment's operation `op` (timm's order) at level m, `sign` the random direction.
void apply_rand_augment_op(RgbImage& out, int op, double m, double sign) {
  const double cx = out.width / 2.0, cy = out.height / 2.0;
  switch (op) {
    case 0:
      out = autocontrast(out);
      break;
    case 1:
      out = equalize(out);
      break;
    case 2:
      for (auto& v : out.pixels) v = static_cast<uint8_t>(255 - v);
      break;
    case 3:
      out = rotate(out, sign * 30.0 * m);  // Rotate by up to 30 degrees
      break;
    case 4:
      posterize(out, m);
      break;
    case 5:
      solarize(out, m);
      break;
    case 6:
      solarize_add(out, m);
      break;
    case 7:
      out = blend(out, grey(out), 1.0 + sign * 0.9 * m);
      break;  // Color (saturation)
    case 8:
      out = contrast(out, 1.0 + sign * 0.9 * m);
      break;
    case 9:
      out = brightness(out, 1.0 + sign * 0.9 * m);
      break;
    case 10:
      out = blend(out, sharpen_degenerate(out), 1.0 + sign * 0.9 * m);
      break;  // Sharpness
    case 11:
      out = affine(out, 1, sign * 0.3 * m, -sign * 0.3 * m * cy, 0, 1, 0);
      break;  // ShearX
    case 12:
      out = affine(out, 1, 0, 0, sign * 0.3 * m, 1, -sign * 0.3 * m * cx);
      break;  // ShearY
    case 13:
      out = affine(out, 1, 0, sign * 0.45 * m * out.width, 0, 1, 0);
      break;  // TranslateX (relative)
    default:
      out = affine(out, 1, 0, 0, 0, 1, sign * 0.45 * m * out.height);
      break;  // TranslateY
  }
}

}  // namespace

CropBox random_resized_crop_box(int width, int height, const ImageAugmentOptions& o, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> U(0.0, 1.0);
  const double area = static_cast<double>(width) * height;
  const double log_lo = std::log(o.ratio_min), log_hi = std::log(o.ratio_max);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * (o.scale_min + (o.scale_max - o.scale_min) * U(rng));
    const double ratio = std::exp(log_lo + (log_hi - log_lo) * U(rng));
    const int w = static_cast<int>(std::round(std::sqrt(target * ratio)));
    const int h = static_cast<int>(std::round(std::sqrt(target / ratio)));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      const int top = std::uniform_int_distribution<int>(0, height - h)(rng);
      const int left = std::uniform_int_distribution<int>(0, width - w)(rng);
      return {left, top, w, h};
    }
  }
  // Fallback: the whole image cropped to the nearest allowed aspect ratio, centred.
  const double in_ratio = static_cast<double>(width) / height;
  int w = width, h = height;
  if (in_ratio < o.ratio_min)
    h = static_cast<int>(std::round(w / o.ratio_min));
  else if (in_ratio > o.ratio_max)
    w = static_cast<int>(std::round(h * o.ratio_max));
  return {(width - w) / 2, (height - h) / 2, w, h};
}

RgbImage crop_box(const RgbImage& im, const CropBox& b) {
  return crop(im, b.left, b.top, b.width, b.height);
}

void flip_left_right(RgbImage& im) {
  flip_lr(im);
}

RgbImage random_resized_crop(const RgbImage& im, const ImageAugmentOptions& o, std::mt19937_64& rng) {
  return pil_resize(crop_box(im, random_resized_crop_box(im.width, im.height, o, rng)), o.size, o.size);
}

RgbImage rand_augment(const RgbImage& im, int n, double magnitude, double magnitude_std, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> U(0.0, 1.0);
  std::normal_distribution<double> N(0.0, 1.0);
  RgbImage out = im;
  constexpr int kOps = 15;
  for (int k = 0; k < n; ++k) {
    const int op = std::uniform_int_distribution<int>(0, kOps - 1)(rng);
    if (U(rng) >= 0.5) continue;  // each chosen op applies with probability 0.5
    double m = magnitude_std > 0 ? magnitude + magnitude_std * N(rng) : magnitude;
    m = std::clamp(m, 0.0, 10.0) / 10.0;  // level in [0, 1]
    const double sign = U(rng) < 0.5 ? -1.0 : 1.0;
    apply_rand_augment_op(out, op, m, sign);
  }
  return out;
}

RgbImage augment_for_training(const RgbImage& image, const ImageAugmentOptions& o, std::mt19937_64& rng) {
  RgbImage out = random_resized_crop(image, o, rng);
  if (std::uniform_real_distribution<double>(0.0, 1.0)(rng) < o.hflip) flip_lr(out);
  if (o.randaug_ops > 0) out = rand_augment(out, o.randaug_ops, o.randaug_magnitude, o.randaug_magnitude_std, rng);
  return out;
}

double sample_beta(double alpha, std::mt19937_64& rng) {
  std::gamma_distribution<double> g(alpha, 1.0);
  const double x = g(rng), y = g(rng);
  return x + y > 0 ? x / (x + y) : 0.5;
}

void mixup_into(RgbImage& a, const RgbImage& b, double lambda) {
  for (size_t i = 0; i < a.pixels.size(); ++i) a.pixels[i] = clamp8(lambda * a.pixels[i] + (1 - lambda) * b.pixels[i]);
}

double cutmix_into(RgbImage& a, const RgbImage& b, double lambda, std::mt19937_64& rng) {
  const double cut = std::sqrt(1 - lambda);
  const int cw = static_cast<int>(a.width * cut), ch = static_cast<int>(a.height * cut);
  const int cx = std::uniform_int_distribution<int>(0, a.width - 1)(rng),
            cy = std::uniform_int_distribution<int>(0, a.height - 1)(rng);
  const int x0 = std::clamp(cx - cw / 2, 0, a.width), x1 = std::clamp(cx + cw / 2, 0, a.width);
  const int y0 = std::clamp(cy - ch / 2, 0, a.height), y1 = std::clamp(cy + ch / 2, 0, a.height);
  for (int y = y0; y < y1; ++y) std::memcpy(a.at(y, x0), b.at(y, x0), static_cast<size_t>(x1 - x0) * 3);
  return 1.0 - static_cast<double>(x1 - x0) * (y1 - y0) / (static_cast<double>(a.width) * a.height);
}

}  // namespace unirep::modalities
