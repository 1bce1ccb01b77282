#pragma once
// From "a model name and a weights file" to a ready-to-run backbone: the path every command and
// application takes. Reads .pth (torch.save) or .safetensors weights, finds the state dict inside
// checkpoint wrappers, detects the structure (train or deploy) and the head kind from the keys,
// builds the matching network, loads it strictly and optionally fuses it.
#include "models/io/named_tensors.h"
#include "models/backbone/unireplknet.h"

#include <optional>
#include <string>
#include <vector>

namespace unirep::sdk {

struct BackboneSpec {
  std::string model;                   // variant name (a, f, ..., xl) or path to a JSON config
  std::string weights;                 // .pth / .safetensors; empty: random initialization
  std::optional<int64_t> in_chans;     // override of a named variant
  std::optional<int64_t> num_classes;  // override of a named variant
  bool reparameterize = false;         // fuse a train-structure checkpoint after loading
  bool strict = true;                  // every key must match
};

struct LoadedBackbone {
  models::UniRepLKNet model{nullptr};   // in eval mode
  bool loaded_train_structure = false;  // the weights file held the train structure
  std::vector<std::string> notes;       // what was inferred or adjusted, one line each
};

// Reads a weights file by content (zip -> torch checkpoint, else safetensors) into a state dict.
// Weights holding NaN or infinite values are refused, naming the file and the tensor.
io::NamedTensors read_weights(const std::string& path, std::vector<std::string>* notes = nullptr);

// Writes a state dict; the format follows the extension (.safetensors, or .pth/.pt for torch.save
// format, stored as {'model': OrderedDict} like the official checkpoints). Atomic.
void write_weights(const std::string& path, const io::NamedTensors& tensors);

// Throws std::invalid_argument / io::FormatError / models::StateDictError with messages naming the
// file and the problem.
LoadedBackbone load_backbone(const BackboneSpec& spec);

}  // namespace unirep::sdk
