// Training options JSON (`unirep train --config FILE`) through the training options' table (sdk/tasks/train_settings):
// any text must give options or an exception (unknown keys, wrong types, bad values).
#include "sdk/tasks/train_settings.h"

#include <exception>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  unirep::sdk::TrainOptions options;
  try {
    unirep::sdk::apply_options_json(options, std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
  } catch (const std::exception&) {
  }
  return 0;
}
