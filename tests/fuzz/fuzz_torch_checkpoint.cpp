// io::read_torch_checkpoint (zip container + restricted pickle) on any bytes.
#include "models/io/torch_checkpoint.h"

#include <exception>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = unirep::fuzz::write_input(data, size, ".pth");
  try {
    std::vector<std::string> warnings;
    auto value = unirep::io::read_torch_checkpoint(path, &warnings);
    (void)value;
  } catch (const std::exception&) {
  }
  return 0;
}
