// io::read_npy on any bytes.
#include "models/io/npy.h"

#include <exception>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = unirep::fuzz::write_input(data, size, ".npy");
  try {
    auto t = unirep::io::read_npy(path);
    if (t.numel() > 0 && t.numel() < 1000000) (void)t.sum();
  } catch (const std::exception&) {
  }
  return 0;
}
