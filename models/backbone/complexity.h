#pragma once
// Parameter and FLOP counts of a backbone, computed from its config (no weights are built, so the
// XL counts cost nothing). FLOPs are multiply-accumulates of convolutions and linear layers, the
// way the paper's tables count them; norms, activations and pooling are not counted.
#include "models/backbone/backbone_config.h"

#include <cstdint>

namespace unirep::models {

struct Complexity {
  int64_t parameters = 0;  // learnable parameters (no BatchNorm running statistics)
  int64_t macs = 0;        // multiply-accumulates for one input of the given size
};

// `deploy` selects the fused structure; `height` x `width` is the input size.
Complexity count_complexity(const BackboneConfig& config, bool deploy, int64_t height, int64_t width,
                            double layer_scale_init_value = 1e-6);

}  // namespace unirep::models
