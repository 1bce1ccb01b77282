// io::read_safetensors (tensors and metadata) on any bytes.
#include "models/io/safetensors.h"

#include <exception>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = unirep::fuzz::write_input(data, size, ".safetensors");
  try {
    unirep::io::Metadata metadata;
    auto tensors = unirep::io::read_safetensors(path, &metadata);
    for (auto& [name, t] : tensors)
      if (t.numel() > 0 && t.numel() < 1000000) (void)t.sum();
  } catch (const std::exception&) {
  }
  return 0;
}
