#pragma once
// State dicts: reading a module's tensors out by their official names, loading them back with a
// full report of what did not fit, and finding the state dict inside the checkpoints seen in the wild.
#include "models/io/named_tensors.h"
#include "models/io/py_value.h"

#include <torch/nn/module.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace unirep::models {

// Parameters and buffers in PyTorch's state_dict() order (a module's own parameters, its own
// buffers, then each child in registration order), detached, sharing storage with the module.
io::NamedTensors state_dict(const torch::nn::Module& module);

struct LoadReport {
  std::vector<std::string> missing;     // in the module, not in the file
  std::vector<std::string> unexpected;  // in the file, not in the module
  std::vector<std::string> mismatched;  // "name: file 3x3, model 5x5"
  size_t loaded = 0;
  bool clean() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  // Multi-line human-readable list of every problem, by name.
  std::string describe() const;
};

class StateDictError : public std::runtime_error {
 public:
  StateDictError(const std::string& what, LoadReport report) : std::runtime_error(what), report_(std::move(report)) {}
  const LoadReport& report() const { return report_; }

 private:
  LoadReport report_;
};

// Copies matching tensors into the module (converting dtype, never shape). With `strict` any
// missing, unexpected or shape-mismatched key throws StateDictError before anything is copied;
// otherwise the matching keys are loaded and the report says what was skipped.
// `num_batches_tracked` buffers are optional (older checkpoints omit them).
LoadReport load_state_dict(torch::nn::Module& module, const io::NamedTensors& tensors, bool strict = true);

// Finds the model's state dict inside a checkpoint object: the object itself when it maps names to
// tensors, or under 'model', 'state_dict', 'model_state', 'module' or 'model_ema'; strips the
// DataParallel prefix 'module.', and maps OpenMixup's 'backbone.' prefix and 'head.fc.' to ours.
// Non-tensor entries are skipped; `notes` receives one line per adjustment made.
io::NamedTensors extract_state_dict(const io::PyValue& checkpoint, const std::string& source,
                                    std::vector<std::string>* notes = nullptr);

// The same key clean-up for a plain name -> tensor list (e.g. read from safetensors).
io::NamedTensors normalize_keys(io::NamedTensors tensors, std::vector<std::string>* notes = nullptr);

// Weights holding NaN or infinite values make every output NaN, so loaders refuse them: throws
// io::FormatError(source, "tensor 'NAME' holds N NaN or infinite values (the first, nan, at [i, j])")
// for the first floating-point tensor with one. Integer tensors are skipped. One pass over the data.
void check_finite(const io::NamedTensors& tensors, const std::string& source);

enum class Structure { Train, Deploy };
// Train if any block carries train-only keys (BatchNorm `.norm.`/`pwconv2.2`, `gamma`, `act.1.beta`,
// dilated branches); Deploy otherwise.
Structure detect_structure(const io::NamedTensors& tensors);

// True when the keys hold the dense-task norms norm0..norm3 instead of norm/head.
bool has_stage_norm_keys(const io::NamedTensors& tensors);

}  // namespace unirep::models
