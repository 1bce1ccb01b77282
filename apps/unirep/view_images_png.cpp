#include "view_images_png.h"

#include "png_file.h"

#include <ATen/ATen.h>
#include <cairo.h>

#include <algorithm>
#include <stdexcept>

namespace unirep::cli {

void write_view_images_png(const std::string& path, const at::Tensor& images) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3, "view images must be V x 3 x S x S");
  const int V = static_cast<int>(images.size(0)), S0 = static_cast<int>(images.size(2)), gap = 4;
  const int zoom = std::max(1, 224 / S0), S = S0 * zoom;  // small CPU-sized views are enlarged (nearest)
  auto mean = at::tensor({0.485f, 0.456f, 0.406f}).view({1, 3, 1, 1});
  auto std = at::tensor({0.229f, 0.224f, 0.225f}).view({1, 3, 1, 1});
  auto rgb = (images.to(at::kFloat) * std + mean).clamp(0, 1).mul(255).round().to(at::kByte).contiguous();
  const int width = V * S + (V - 1) * gap, height = S;
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
  cairo_surface_flush(surface);
  unsigned char* data = cairo_image_surface_get_data(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  auto a = rgb.accessor<uint8_t, 4>();
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      auto* px = reinterpret_cast<uint32_t*>(data + y * stride) + x;
      const int v = x / (S + gap), xs = x % (S + gap);
      if (xs >= S) {
        *px = 0xFFFFFF;
        continue;
      }
      const int sy = y / zoom, sx = xs / zoom;
      *px = (uint32_t(a[v][0][sy][sx]) << 16) | (uint32_t(a[v][1][sy][sx]) << 8) | a[v][2][sy][sx];
    }
  cairo_surface_mark_dirty(surface);
  try {
    write_png_atomically(surface, path);
  } catch (...) {
    cairo_surface_destroy(surface);
    throw;
  }
  cairo_surface_destroy(surface);
}

}  // namespace unirep::cli
