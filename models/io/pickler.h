#pragma once
// Serializing a PyValue tree as the data.pkl of a torch.save checkpoint: pickle protocol 2 laid out
// the way Python's pickler and torch.save lay it out, so that Python's torch.load (and our own
// unpickler) read it back. Tensors are not embedded: each becomes a persistent id naming a storage
// record that the caller writes beside the pickle.
#include "models/io/py_value.h"

#include <ATen/Tensor.h>

#include <string>
#include <vector>

namespace unirep::io {

struct PickledCheckpoint {
  std::string pickle;                // the bytes of data.pkl
  std::vector<at::Tensor> storages;  // contiguous CPU tensors; storage i goes to record data/<i>
};

// Throws std::invalid_argument for what cannot be written (an unsupported leaf, an unsupported
// dtype, a string that is not UTF-8, nesting deeper than 100 levels).
PickledCheckpoint pickle_checkpoint(const PyValue& root);

}  // namespace unirep::io
