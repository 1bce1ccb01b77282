#include "sdk/audio/audio_model.h"

#include "models/io/format_error.h"
#include "models/backbone/state_dict.h"

#include <nlohmann/json.hpp>

namespace unirep::sdk {

std::string audio_task_json(const AudioModelSpec& spec) {
  nlohmann::json j;
  j["multi_label"] = spec.multi_label;
  j["input"] = nlohmann::json::parse(modalities::to_json(spec.input));
  return j.dump();
}

AudioModelSpec audio_model_spec(const ModelFile& file) {
  AudioModelSpec spec;
  spec.backbone = file.backbone;
  spec.labels = file.labels;
  try {
    const auto j = nlohmann::json::parse(file.task_json);
    spec.multi_label = j.at("multi_label").get<bool>();
    spec.input = modalities::audio_input_options_from_json(j.at("input").dump());
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("audio model settings are malformed: ") + e.what());
  }
  if (spec.labels.empty()) throw std::invalid_argument("audio model has no labels");
  return spec;
}

namespace {
models::PooledClassifierOptions classifier_options(const AudioModelSpec& spec, double drop_path_rate, bool deploy) {
  auto backbone = spec.backbone;
  backbone.in_chans = 1;
  return models::PooledClassifierOptions(backbone, static_cast<int64_t>(spec.labels.size()))
      .drop_path_rate(drop_path_rate)
      .deploy(deploy);
}
}  // namespace

AudioTask::AudioTask(AudioModelSpec spec, double drop_path_rate)
    : spec_(std::move(spec)), net_(classifier_options(spec_, drop_path_rate, false)) {
  spec_.backbone.in_chans = 1;
  if (spec_.labels.size() < 2 && !spec_.multi_label)
    throw std::invalid_argument("an audio classifier needs at least two labels");
  modalities::check_audio_input_options(spec_.input);
}

io::NamedTensors AudioTask::deploy_state() {
  models::PooledClassifier copy(classifier_options(spec_, 0.0, false));
  models::load_state_dict(*copy, models::state_dict(*net_));
  copy->eval();
  copy->reparameterize();
  return models::state_dict(*copy);
}

std::map<std::string, std::string> AudioTask::deploy_metadata() {
  ModelFile f;
  f.kind = kAudioClassifierKind;
  f.backbone = spec_.backbone;
  f.labels = spec_.labels;
  f.task_json = audio_task_json(spec_);
  return model_file_metadata(f);
}

}  // namespace unirep::sdk
