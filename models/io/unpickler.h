#pragma once
// A restricted unpickler for the pickles inside torch.save checkpoints (protocol 2, plus the few
// protocol 4 opcodes newer writers emit). It builds PyValue trees and nothing else: GLOBALs are
// looked up in an allow-list, and anything outside it becomes an inert PyValue::unsupported.
#include <unirep/io/py_value.h>

#include <functional>
#include <string>
#include <vector>

namespace unirep::io {

struct StorageRef {
  at::ScalarType dtype;
  std::string key;
  int64_t numel;
};

// Returns the storage as a 1-D tensor of at least `numel` elements (or throws FormatError).
using StorageLoader = std::function<at::Tensor(const StorageRef&)>;

// Parses `data` (the bytes of data.pkl). `source` names the file in errors.
PyValue unpickle(const std::string& data, const std::string& source, const StorageLoader& load_storage);

// One warning per unsupported object in the tree, with its key path: "args: skipped argparse.Namespace".
std::vector<std::string> unsupported_warnings(const PyValue& root);

}  // namespace unirep::io
