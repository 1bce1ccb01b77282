#pragma once
// A trained model as one file: a safetensors file whose weights are the deploy structure and whose
// metadata says everything needed to use it: what kind of model it is, the backbone layout, the
// labels, and the task's preprocessing settings. Applications load it with nothing else.
//
// Metadata keys: "unirep.format" ("1"), "unirep.kind" (e.g. "audio_classifier"), "unirep.backbone"
// (the backbone config JSON), "unirep.labels" (JSON list), "unirep.task" (task settings JSON).
#include "models/io/named_tensors.h"
#include "models/backbone/backbone_config.h"

#include <torch/nn/module.h>

#include <map>
#include <string>
#include <vector>

namespace unirep::sdk {

struct ModelFile {
  std::string kind;
  models::BackboneConfig backbone;
  std::vector<std::string> labels;
  std::string task_json = "{}";  // task-specific settings (e.g. audio preprocessing)
  io::NamedTensors tensors;
};

void write_model_file(const std::string& path, const ModelFile& model);
// The metadata write_model_file stores (for writers that store the tensors themselves).
std::map<std::string, std::string> model_file_metadata(const ModelFile& model);
// Errors name the file: not a unirep model file, missing or malformed metadata, wrong kind, and
// (read_model_file) weights holding NaN or infinite values, naming the tensor.
// The model's kind from the file's header alone (cheap: no tensors are read). Errors as above.
std::string read_model_file_kind(const std::string& path);
ModelFile read_model_file(const std::string& path, const std::string& expected_kind = "");

// Loads a model file's tensors into the network its metadata describes, strictly; a mismatch is an
// io::FormatError naming `path` ("weights do not fit the stored architecture: ...").
void load_model_file_weights(torch::nn::Module& net, const ModelFile& file, const std::string& path);

}  // namespace unirep::sdk
