// A backbone layout from JSON (resolve_config on a .json file): parse, validate, count FLOPs.
#include <unirep/models/backbone_config.h>
#include <unirep/models/complexity.h>

#include <exception>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = unirep::fuzz::write_input(data, size, ".json");
  try {
    auto c = unirep::models::resolve_config(path);
    (void)unirep::models::count_complexity(c, true, 64, 64);
  } catch (const std::exception&) {
  }
  return 0;
}
