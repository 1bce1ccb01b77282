// A backbone layout from JSON (resolve_config on a .json file): parse, validate, count FLOPs, and
// check that whatever validate() accepts is within the layout limits (docs/backbone.md, Layout
// limits), so no accepted layout can make a later build allocate without bound.
#include "models/backbone/backbone_config.h"
#include "models/backbone/complexity.h"
#include "models/backbone/layout_size.h"

#include <cstdlib>
#include <exception>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = unirep::fuzz::write_input(data, size, ".json");
  unirep::models::BackboneConfig c;
  try {
    c = unirep::models::resolve_config(path);
    (void)unirep::models::count_complexity(c, true, 64, 64);
  } catch (const std::exception&) {
    return 0;
  }
  const auto estimate = unirep::models::estimate_layout_size(c);
  const double limit = unirep::models::max_layout_bytes();
  if (4.0 * estimate.parameters > limit || 4.0 * estimate.largest_activation > limit) std::abort();
  for (size_t s = 0; s < 4; ++s)
    if (c.depths[s] > unirep::models::kMaxStageDepth || c.dims[s] > unirep::models::kMaxChannels) std::abort();
  if (c.num_classes > unirep::models::kMaxClasses || c.in_chans > unirep::models::kMaxChannels) std::abort();
  return 0;
}
