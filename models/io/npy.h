#pragma once
// NumPy .npy files (format versions 1.0, 2.0 and 3.0): how tensors go in and out of the CLI.
//
// Reads little-endian float32, float64, int64 (and float16, int32, int8, uint8, bool) into a
// C-contiguous CPU tensor of the same dtype; Fortran-order files (what np.save writes for a
// transposed array) are transposed on reading. Big-endian, object and structured arrays and any
// other dtype are rejected.
// The header is validated (magic, lengths, shape product against the file size) before any data
// allocation, so a hostile file cannot make us allocate more than the file holds.
#include <ATen/Tensor.h>

#include <string>

namespace unirep::io {

at::Tensor read_npy(const std::string& path);

// Writes a CPU tensor (any of the dtypes above, made contiguous) as format 1.0, atomically:
// a temporary file beside the target, fsync, then rename, so a failure never leaves a partial file.
void write_npy(const std::string& path, const at::Tensor& tensor);

}  // namespace unirep::io
