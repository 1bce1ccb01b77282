#pragma once
// Internal: the PCD reader behind read_point_file (PCL's Point Cloud Data format, v0.5-0.7).
#include "modalities/points/point_cloud.h"

#include <cstdint>
#include <string>

namespace unirep::modalities {

// Reads a whole PCD file already in memory: DATA ascii, binary and binary_compressed; fields x y z
// (any numeric type) and normal_x normal_y normal_z when present, other fields skipped. Throws
// std::runtime_error "PATH: problem". NaN points are kept (the caller drops and counts them).
PointCloud read_pcd(const std::string& path, const std::string& bytes);

// LZF decompression (the codec of binary_compressed): exactly `expected` bytes out of `in`, every
// back-reference and length checked. Throws std::runtime_error naming `path` on corrupt data.
std::string lzf_decompress(const std::string& path, const unsigned char* in, size_t size, size_t expected);

}  // namespace unirep::modalities
