#pragma once
// What the backbone sees: the V projected images of one point cloud side by side as a PNG
// (ImageNet normalization undone), written atomically.
#include <ATen/Tensor.h>

#include <string>

namespace unirep::cli {

// `images`: V x 3 x S x S, ImageNet-normalized.
void write_view_images_png(const std::string& path, const at::Tensor& images);

}  // namespace unirep::cli
