#pragma once
// The counting behind count_complexity(), without validate(): validate() itself uses it to bound a
// layout's size (layout_size.cpp), so it cannot call back into validate().
#include "models/backbone/complexity.h"

namespace unirep::models {

// `config` must already pass validate()'s per-field checks (lengths, kernel sizes, value limits).
Complexity count_complexity_unchecked(const BackboneConfig& config, bool deploy, int64_t height, int64_t width,
                                      double layer_scale_init_value);

}  // namespace unirep::models
