#pragma once
// The layout the training tests train: one block per stage, 8..16 channels, one input channel, two
// classes; a step takes milliseconds.
#include "models/backbone/backbone_config.h"

namespace unirep::testing {

inline models::BackboneConfig tiny_config() {
  models::BackboneConfig c;
  c.depths = {1, 1, 1, 1};
  c.dims = {8, 8, 16, 16};
  c.kernel_sizes = {{3}, {7}, {3}, {0}};
  c.in_chans = 1;
  c.num_classes = 2;
  return c;
}

}  // namespace unirep::testing
