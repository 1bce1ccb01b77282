#pragma once
// A restricted unpickler for the data.pkl inside torch.save checkpoints (protocol 2, plus the few
// protocol 3/4 opcodes newer writers emit). It builds PyValue trees and nothing else: GLOBALs are
// only names, calls are resolved against an allow-list, and anything outside it becomes an inert
// PyValue::unsupported. Every size read from the pickle is checked against the bytes that remain,
// and the stack, memo, nesting depth and total memory it may build are bounded.
#include "models/io/py_value.h"

#include <ATen/core/ScalarType.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace unirep::io {

// A BINPERSID storage reference: ('storage', torch.<Type>Storage, key, location, numel).
struct StorageRef {
  at::ScalarType dtype;
  std::string key;
  int64_t numel;
};

// Returns the storage as a 1-D CPU tensor of exactly `numel` elements, or throws FormatError.
// Called once per distinct key.
using StorageLoader = std::function<at::Tensor(const StorageRef&)>;

// Parses `data` (the bytes of data.pkl). `source` names the file in errors.
PyValue unpickle(const std::string& data, const std::string& source, const StorageLoader& load_storage);

// One warning per unsupported object in the tree, with its key path: "args: skipped argparse.Namespace".
std::vector<std::string> unsupported_warnings(const PyValue& root);

}  // namespace unirep::io
