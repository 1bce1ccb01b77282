#pragma once
// What a backbone layout costs in memory before anything is built: its parameters and its largest
// activation on one nominal input. BackboneConfig::validate() refuses layouts over the limit, so a
// layout file or model metadata asking for 1e12 classes fails with a message instead of
// allocating (docs/backbone.md, Layout limits).
#include "models/backbone/backbone_config.h"

#include <cstdint>
#include <string>

namespace unirep::models {

struct LayoutSize {
  int64_t parameters = 0;          // learnable parameters of the train structure (the larger one)
  int64_t largest_activation = 0;  // elements of the largest single tensor for one input
};

// For a config whose fields are within the per-field limits (validate() checks those first), on
// one input of height x width.
LayoutSize estimate_layout_size(const BackboneConfig& config, int64_t height = kNominalInputSize,
                                int64_t width = kNominalInputSize);

// Elements of the largest single tensor of a forward pass of one height x width input (the input,
// a stem output, a downsample output, a stage's 4 x dims pointwise expansion); no parameters are
// counted, so any height and width up to 2^20 is safe from overflow. A lower bound of what the
// pass needs.
int64_t largest_activation_elements(const BackboneConfig& config, int64_t height, int64_t width);

// The memory limit in bytes: UNIREP_MAX_LAYOUT_GIB when set (std::invalid_argument naming the
// variable when it is not a positive number), else kDefaultMaxLayoutGiB.
double max_layout_bytes();

// Throws std::invalid_argument "SOURCE: layout asks for N parameters (X GiB as float32), more than
// the Y GiB limit ..." (or the same for the largest activation).
void check_layout_size(const BackboneConfig& config, const std::string& source);

}  // namespace unirep::models
