#pragma once
// CRC-32 (the ZIP / zlib polynomial), written here rather than taken from zlib because LibTorch
// only pulls zlib in indirectly and the project does not link it.
#include <cstdint>

namespace unirep::io {

// Continues `crc` (0 to start) over `size` bytes.
uint32_t crc32(const void* data, uint64_t size, uint32_t crc = 0);

}  // namespace unirep::io
