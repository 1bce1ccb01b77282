#pragma once
// safetensors files (https://huggingface.co/docs/safetensors): 8-byte little-endian header size,
// a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, then raw data.
//
// Reading validates everything before trusting it: header size against the file size, JSON syntax,
// known dtypes (F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL), shape product times element size equals
// the offset span, offsets inside the data area, and the tensors tile the data area exactly
// (no overlap, no holes), as the format requires.
#include "models/io/named_tensors.h"

#include <map>
#include <string>

namespace unirep::io {

using Metadata = std::map<std::string, std::string>;

// Tensors come back in the order of their data offsets; `metadata` (optional) receives __metadata__.
NamedTensors read_safetensors(const std::string& path, Metadata* metadata = nullptr);
// Only __metadata__: the header is read and checked, the tensors are neither read nor validated.
Metadata read_safetensors_metadata(const std::string& path);

// Writes contiguous little-endian data in list order; names must be unique. Atomic like write_npy.
void write_safetensors(const std::string& path, const NamedTensors& tensors, const Metadata& metadata = {});

}  // namespace unirep::io
