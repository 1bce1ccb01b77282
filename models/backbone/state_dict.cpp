#include "models/backbone/state_dict.h"

#include <ATen/ATen.h>

#include <map>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace unirep::models {
namespace {

void collect(const torch::nn::Module& module, const std::string& prefix, io::NamedTensors& out) {
  for (const auto& p : module.named_parameters(/*recurse=*/false))
    out.push_back({prefix + p.key(), p.value().detach()});
  for (const auto& b : module.named_buffers(/*recurse=*/false)) out.push_back({prefix + b.key(), b.value().detach()});
  for (const auto& c : module.named_children()) collect(*c.value(), prefix + c.key() + ".", out);
}

std::string shape_str(const at::Tensor& t) {
  std::ostringstream ss;
  for (int64_t i = 0; i < t.dim(); ++i) ss << (i ? "x" : "") << t.size(i);
  if (t.dim() == 0) ss << "scalar";
  return ss.str();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

bool is_tensor_map(const io::PyValue& v) {
  if (!v.is_dict() || v.dict_items().empty()) return false;
  size_t tensors = 0;
  for (const auto& [k, val] : v.dict_items()) {
    if (!k.is_string()) return false;
    if (val.is_tensor()) ++tensors;
  }
  return tensors > 0;
}

}  // namespace

io::NamedTensors state_dict(const torch::nn::Module& module) {
  io::NamedTensors out;
  collect(module, "", out);
  return out;
}

std::string LoadReport::describe() const {
  std::ostringstream ss;
  auto list = [&](const char* what, const std::vector<std::string>& keys) {
    if (keys.empty()) return;
    ss << keys.size() << " " << what << " key" << (keys.size() == 1 ? "" : "s") << ":";
    for (const auto& k : keys) ss << "\n  " << k;
    ss << "\n";
  };
  list("missing", missing);
  list("unexpected", unexpected);
  list("shape-mismatched", mismatched);
  auto s = ss.str();
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

LoadReport load_state_dict(torch::nn::Module& module, const io::NamedTensors& tensors, bool strict) {
  LoadReport report;
  auto own = state_dict(module);
  std::unordered_map<std::string, const at::Tensor*> given;
  for (const auto& nt : tensors) given[nt.name] = &nt.tensor;
  std::unordered_set<std::string> own_names;
  std::vector<std::pair<at::Tensor, const at::Tensor*>> copies;
  for (const auto& nt : own) {
    own_names.insert(nt.name);
    auto it = given.find(nt.name);
    if (it == given.end()) {
      if (!ends_with(nt.name, "num_batches_tracked")) report.missing.push_back(nt.name);
      continue;
    }
    if (it->second->sizes() != nt.tensor.sizes()) {
      report.mismatched.push_back(nt.name + ": file " + shape_str(*it->second) + ", model " + shape_str(nt.tensor));
      continue;
    }
    copies.emplace_back(nt.tensor, it->second);
  }
  for (const auto& nt : tensors)
    if (!own_names.count(nt.name)) report.unexpected.push_back(nt.name);
  if (strict && !report.clean())
    throw StateDictError("state dict does not match the model:\n" + report.describe(), report);
  torch::NoGradGuard no_grad;
  for (auto& [dst, src] : copies) dst.copy_(*src);
  report.loaded = copies.size();
  return report;
}

io::NamedTensors normalize_keys(io::NamedTensors tensors, std::vector<std::string>* notes) {
  auto strip_all = [&](const std::string& prefix, const char* why) {
    if (tensors.empty()) return;
    for (const auto& nt : tensors)
      if (!starts_with(nt.name, prefix)) return;
    for (auto& nt : tensors) nt.name = nt.name.substr(prefix.size());
    if (notes) notes->push_back(std::string("stripped the '") + prefix + "' prefix (" + why + ")");
  };
  strip_all("module.", "DataParallel");
  // OpenMixup classifiers: backbone.* for the network, head.fc.* for the classifier Linear.
  bool has_backbone_prefix = false;
  for (const auto& nt : tensors) has_backbone_prefix |= starts_with(nt.name, "backbone.");
  if (has_backbone_prefix) {
    for (auto& nt : tensors) {
      if (starts_with(nt.name, "backbone."))
        nt.name = nt.name.substr(9);
      else if (starts_with(nt.name, "head.fc."))
        nt.name = "head." + nt.name.substr(8);
    }
    if (notes) notes->push_back("mapped OpenMixup keys 'backbone.*' and 'head.fc.*'");
  }
  return tensors;
}

io::NamedTensors extract_state_dict(const io::PyValue& checkpoint, const std::string& source,
                                    std::vector<std::string>* notes) {
  // Known wrappers first: a training checkpoint also holds tensors of its own (e.g. RNG state).
  const io::PyValue* sd = nullptr;
  if (checkpoint.is_dict()) {
    for (const char* key : {"model", "state_dict", "model_state", "module", "model_ema", "state_dict_ema"}) {
      const auto* v = checkpoint.find(key);
      if (v && is_tensor_map(*v)) {
        sd = v;
        if (notes && std::string(key) != "model")
          notes->push_back(std::string("using the state dict under '") + key + "'");
        break;
      }
    }
  }
  if (!sd && is_tensor_map(checkpoint)) sd = &checkpoint;
  if (!sd)
    throw std::invalid_argument(source +
                                ": no state dict found (expected a name -> tensor mapping, or one under "
                                "'model' or 'state_dict'; the file holds a " +
                                checkpoint.describe() + ")");
  io::NamedTensors out;
  size_t skipped = 0;
  for (const auto& [k, v] : sd->dict_items()) {
    if (v.is_tensor())
      out.push_back({k.as_string(), v.as_tensor()});
    else
      ++skipped;
  }
  if (skipped && notes) notes->push_back("skipped " + std::to_string(skipped) + " non-tensor entries");
  return normalize_keys(std::move(out), notes);
}

Structure detect_structure(const io::NamedTensors& tensors) {
  for (const auto& nt : tensors) {
    const auto& n = nt.name;
    if (!starts_with(n, "stages.")) continue;
    if (ends_with(n, ".gamma") && n.find(".act.") == std::string::npos) return Structure::Train;
    if (n.find(".norm.running_var") != std::string::npos || n.find(".pwconv2.2.") != std::string::npos ||
        n.find(".act.1.beta") != std::string::npos || n.find(".dil_conv_") != std::string::npos ||
        n.find(".origin_bn.") != std::string::npos)
      return Structure::Train;
  }
  return Structure::Deploy;
}

bool has_stage_norm_keys(const io::NamedTensors& tensors) {
  for (const auto& nt : tensors)
    if (starts_with(nt.name, "norm0.")) return true;
  return false;
}

}  // namespace unirep::models
