#include "models/backbone/complexity.h"

#include "complexity_count.h"

namespace unirep::models {
namespace {

// Output size of a 3x3 stride-2 padding-1 convolution.
int64_t down2(int64_t n) {
  return (n + 2 - 3) / 2 + 1;
}

struct Counter {
  Complexity c;
  void conv(int64_t cin, int64_t cout, int64_t k, int64_t groups, bool bias, int64_t out_h, int64_t out_w) {
    const int64_t weights = cout * (cin / groups) * k * k;
    c.parameters += weights + (bias ? cout : 0);
    c.macs += weights * out_h * out_w;
  }
  void linear(int64_t in, int64_t out, bool bias, int64_t positions) {
    c.parameters += in * out + (bias ? out : 0);
    c.macs += in * out * positions;
  }
  void affine(int64_t channels) { c.parameters += 2 * channels; }  // LayerNorm or BatchNorm weight+bias
};

}  // namespace

Complexity count_complexity(const BackboneConfig& config, bool deploy, int64_t height, int64_t width,
                            double layer_scale_init_value) {
  config.validate();
  return count_complexity_unchecked(config, deploy, height, width, layer_scale_init_value);
}

Complexity count_complexity_unchecked(const BackboneConfig& config, bool deploy, int64_t height, int64_t width,
                                      double layer_scale_init_value) {
  Counter n;
  const auto& dims = config.dims;
  int64_t h = down2(height), w = down2(width);
  n.conv(config.in_chans, dims[0] / 2, 3, 1, true, h, w);
  n.affine(dims[0] / 2);
  h = down2(h), w = down2(w);
  n.conv(dims[0] / 2, dims[0], 3, 1, true, h, w);
  n.affine(dims[0]);
  for (int s = 0; s < 4; ++s) {
    const int64_t c = dims[s];
    if (s > 0) {
      h = down2(h), w = down2(w);
      n.conv(dims[s - 1], c, 3, 1, true, h, w);
      n.affine(c);
    }
    for (int64_t k : config.kernel_sizes[s]) {
      if (k != 0) {
        n.conv(c, c, k, c, deploy, h, w);
        if (!deploy) {
          n.affine(c);  // block norm
          if (k >= 7) {
            n.affine(c);  // origin_bn
            auto branches = dilated_branches(k);
            for (auto bk : branches.kernel_sizes) {
              n.conv(c, c, bk, c, false, h, w);
              n.affine(c);
            }
          }
        }
      }
      n.linear(c, c / 4, true, 1);  // SE down/up on the pooled vector
      n.linear(c / 4, c, true, 1);
      n.linear(c, 4 * c, true, h * w);
      n.c.parameters += 4 * c * (deploy ? 1 : 2);  // GRN gamma (+ beta)
      n.linear(4 * c, c, deploy, h * w);
      if (!deploy) {
        n.affine(c);  // pwconv2 BatchNorm
        if (layer_scale_init_value > 0) n.c.parameters += c;
      }
    }
  }
  n.affine(dims[3]);  // head LayerNorm
  if (config.num_classes > 0) n.linear(dims[3], config.num_classes, true, 1);
  return n.c;
}

}  // namespace unirep::models
