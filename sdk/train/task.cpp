#include "sdk/train/task.h"

#include "models/backbone/state_dict.h"

namespace unirep::sdk {

BackboneClassifier::BackboneClassifier(models::UniRepLKNetOptions options)
    : options_(options), net_(std::move(options)) {}

io::NamedTensors BackboneClassifier::deploy_state() {
  auto copy_options = options_;
  copy_options.deploy(false).drop_path_rate(0.0);
  models::UniRepLKNet copy(copy_options);
  models::load_state_dict(*copy, models::state_dict(*net_));
  copy->eval();
  copy->reparameterize();
  return models::state_dict(*copy);
}

bool trainable_under_freeze(const std::string& name_in, int trainable_stages) {
  if (trainable_stages < 0) return true;
  std::string name = name_in.rfind("backbone.", 0) == 0 ? name_in.substr(9) : name_in;
  int stage = -1;
  for (const char* prefix : {"stages.", "downsample_layers."}) {
    const std::string p = prefix;
    if (name.rfind(p, 0) == 0) stage = name[p.size()] - '0';
  }
  if (stage < 0) return true;  // head (and anything else outside the backbone body)
  return stage >= 4 - trainable_stages;
}

}  // namespace unirep::sdk
