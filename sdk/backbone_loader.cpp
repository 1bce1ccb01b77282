#include "sdk/backbone_loader.h"

#include "models/io/format_error.h"
#include "models/io/safetensors.h"
#include "models/io/torch_checkpoint.h"
#include "models/backbone/state_dict.h"

#include <fstream>

namespace unirep::sdk {
namespace {

bool has_suffix(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool starts_with_zip_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io::FormatError(path, "cannot open file");
  char magic[4] = {0, 0, 0, 0};
  in.read(magic, 4);
  return in.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

const at::Tensor* find_tensor(const io::NamedTensors& tensors, const std::string& name) {
  for (const auto& nt : tensors)
    if (nt.name == name) return &nt.tensor;
  return nullptr;
}

}  // namespace

io::NamedTensors read_weights(const std::string& path, std::vector<std::string>* notes) {
  io::NamedTensors tensors;
  if (starts_with_zip_magic(path)) {
    std::vector<std::string> warnings;
    auto root = io::read_torch_checkpoint(path, &warnings);
    if (notes) notes->insert(notes->end(), warnings.begin(), warnings.end());
    tensors = models::extract_state_dict(root, path, notes);
    models::check_finite(tensors, path);
    return tensors;
  }
  // Checked before the key clean-up, so the message names the tensor as the file spells it.
  tensors = io::read_safetensors(path);
  models::check_finite(tensors, path);
  return models::normalize_keys(std::move(tensors), notes);
}

void write_weights(const std::string& path, const io::NamedTensors& tensors) {
  if (has_suffix(path, ".safetensors")) {
    io::write_safetensors(path, tensors);
  } else if (has_suffix(path, ".pth") || has_suffix(path, ".pt")) {
    io::PyValue root = io::PyValue::dict();
    root.set("model", io::state_dict_value(tensors));
    io::write_torch_checkpoint(path, root);
  } else {
    throw std::invalid_argument(path + ": unknown weights format (use .safetensors or .pth)");
  }
}

LoadedBackbone load_backbone(const BackboneSpec& spec) {
  LoadedBackbone out;
  models::BackboneConfig config = models::resolve_config(spec.model);
  const bool named_variant = models::is_variant_name(spec.model);
  if (!named_variant && (spec.in_chans || spec.num_classes))
    throw std::invalid_argument("BackboneSpec::in_chans and num_classes apply to named variants; edit " + spec.model +
                                " instead");
  if (spec.in_chans) config.in_chans = *spec.in_chans;
  if (spec.num_classes) config.num_classes = *spec.num_classes;

  io::NamedTensors weights;
  models::UniRepLKNetOptions options(config);
  if (!spec.weights.empty()) {
    weights = read_weights(spec.weights, &out.notes);
    out.loaded_train_structure = models::detect_structure(weights) == models::Structure::Train;
    options.deploy(!out.loaded_train_structure);
    if (models::has_stage_norm_keys(weights)) options.head_kind(models::HeadKind::StageNorms);
    // A named variant takes its input channels and class count from the weights unless overridden,
    // so e.g. 22K checkpoints (21841 classes) load as they are.
    if (named_variant) {
      if (!spec.in_chans)
        if (const auto* w = find_tensor(weights, "downsample_layers.0.0.weight");
            w && w->dim() == 4 && w->size(1) != config.in_chans) {
          config.in_chans = w->size(1);
          out.notes.push_back("in_chans " + std::to_string(config.in_chans) + " taken from the weights");
        }
      if (!spec.num_classes) {
        int64_t classes = 0;  // no head.weight: pooled features or stage maps only
        if (const auto* h = find_tensor(weights, "head.weight"); h && h->dim() == 2) classes = h->size(0);
        if (classes != config.num_classes) {
          config.num_classes = classes;
          out.notes.push_back("num_classes " + std::to_string(classes) + " taken from the weights");
        }
      }
      options.config(config);
    }
  }
  out.model = models::UniRepLKNet(options);
  if (!spec.weights.empty()) {
    try {
      auto report = models::load_state_dict(*out.model, weights, spec.strict);
      if (!report.clean()) out.notes.push_back("non-strict load skipped keys:\n" + report.describe());
    } catch (const models::StateDictError& e) {
      throw models::StateDictError(spec.weights + ": " + e.what(), e.report());
    }
  }
  out.model->eval();
  if (spec.reparameterize && !out.model->deployed()) out.model->reparameterize();
  return out;
}

}  // namespace unirep::sdk
