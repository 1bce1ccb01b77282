#include "sdk/model_file.h"

#include "models/backbone/state_dict.h"

#include "models/io/format_error.h"
#include "models/io/safetensors.h"

#include <nlohmann/json.hpp>

namespace unirep::sdk {

io::Metadata model_file_metadata(const ModelFile& model) {
  io::Metadata meta;
  meta["unirep.format"] = "1";
  meta["unirep.kind"] = model.kind;
  meta["unirep.backbone"] = model.backbone.to_json();
  meta["unirep.labels"] = nlohmann::json(model.labels).dump();
  meta["unirep.task"] = model.task_json;
  return meta;
}

void write_model_file(const std::string& path, const ModelFile& model) {
  io::write_safetensors(path, model.tensors, model_file_metadata(model));
}

std::string read_model_file_kind(const std::string& path) {
  const auto meta = io::read_safetensors_metadata(path);
  const auto it = meta.find("unirep.kind");
  if (it == meta.end()) throw io::FormatError(path, "not a unirep model file (metadata 'unirep.kind' is missing)");
  return it->second;
}

ModelFile read_model_file(const std::string& path, const std::string& expected_kind) {
  io::Metadata meta;
  ModelFile out;
  out.tensors = io::read_safetensors(path, &meta);
  auto get = [&](const char* key) -> const std::string& {
    auto it = meta.find(key);
    if (it == meta.end())
      throw io::FormatError(path, std::string("not a unirep model file (metadata '") + key + "' is missing)");
    return it->second;
  };
  if (get("unirep.format") != "1")
    throw io::FormatError(path, "unsupported unirep model file version " + get("unirep.format"));
  out.kind = get("unirep.kind");
  if (!expected_kind.empty() && out.kind != expected_kind)
    throw io::FormatError(path, "holds a '" + out.kind + "' model, expected '" + expected_kind + "'");
  try {
    out.backbone = models::config_from_json_text(get("unirep.backbone"), "metadata 'unirep.backbone'");
  } catch (const std::invalid_argument& e) {
    throw io::FormatError(path, e.what());
  }
  try {
    auto labels = nlohmann::json::parse(get("unirep.labels"));
    out.labels = labels.get<std::vector<std::string>>();
    out.task_json = get("unirep.task");
    if (nlohmann::json::parse(out.task_json).is_discarded()) throw io::FormatError(path, "malformed unirep.task");
  } catch (const nlohmann::json::exception& e) {
    throw io::FormatError(path, std::string("malformed model metadata: ") + e.what());
  }
  models::check_finite(out.tensors, path);
  return out;
}

void load_model_file_weights(torch::nn::Module& net, const ModelFile& file, const std::string& path) {
  try {
    models::load_state_dict(net, file.tensors);
  } catch (const models::StateDictError& e) {
    // Still a StateDictError, so callers (the C API) can tell a mismatch from a corrupt file.
    throw models::StateDictError(path + ": weights do not fit the stored architecture: " + e.what(), e.report());
  } catch (const std::exception& e) {
    throw io::FormatError(path, std::string("weights do not fit the stored architecture: ") + e.what());
  }
}

}  // namespace unirep::sdk
