#pragma once
// PyTorch checkpoints as written by torch.save (the zip format used since PyTorch 1.6), read and
// written without torch::pickle_load, which cannot read torch.save(state_dict) files.
//
// Layout: a zip archive whose single top folder (any name) holds `data.pkl` (pickle protocol 2),
// `data/<key>` (raw little-endian storage bytes, one record per storage) and `version`.
//
// Safety: the unpickler implements only the opcodes checkpoints use and resolves GLOBALs against an
// allow-list (collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter,
// torch.<Type>Storage, _codecs.encode for bytes). Any other GLOBAL becomes PyValue::unsupported with
// a warning; no code is ever run. Every size, offset and stride is checked against the storage record
// before a tensor is made; storages are read once and shared between views like in PyTorch.
#include "models/io/named_tensors.h"
#include "models/io/py_value.h"

#include <string>
#include <vector>

namespace unirep::io {

// Reads the whole object tree. Warnings (skipped unsupported objects, e.g. "args: skipped
// argparse.Namespace") are appended to `warnings` when given.
PyValue read_torch_checkpoint(const std::string& path, std::vector<std::string>* warnings = nullptr);

// Writes `root` the way torch.save does (zip, stored entries, data aligned to 64 bytes, pickle
// protocol 2) so that torch.load in Python and read_torch_checkpoint both read it back. Tensors
// are written contiguous. Atomic: temporary file, fsync, rename.
void write_torch_checkpoint(const std::string& path, const PyValue& root);

// Convenience: an OrderedDict of name -> tensor, i.e. what model.state_dict() saves.
PyValue state_dict_value(const NamedTensors& tensors);

}  // namespace unirep::io
