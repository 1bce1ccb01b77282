#pragma once
// The audio classifier model as a training task and as a file: UniRepLKNet (1 input channel,
// frequency as height, time as width) + pooled feature, LayerNorm, Linear (docs/audio.md), in
// single-label (softmax, cross entropy) or multi-label (sigmoid, BCE) mode. Its model file is the
// deploy-structure safetensors with kind "audio_classifier", the labels, and the preprocessing.
#include "modalities/audio/audio_input.h"
#include "models/backbone/backbone_config.h"
#include "models/heads/pooled_classifier.h"
#include "sdk/model_file.h"
#include "sdk/train/task.h"

#include <string>
#include <vector>

namespace unirep::sdk {

inline constexpr const char* kAudioClassifierKind = "audio_classifier";

struct AudioModelSpec {
  models::BackboneConfig backbone;  // in_chans is forced to 1
  std::vector<std::string> labels;
  bool multi_label = false;
  modalities::AudioInputOptions input;
};

// task_json of the model file: {"multi_label": ..., "input": {...}}.
std::string audio_task_json(const AudioModelSpec& spec);
AudioModelSpec audio_model_spec(const ModelFile& file);

class AudioTask : public Task {
 public:
  AudioTask(AudioModelSpec spec, double drop_path_rate = 0.0);
  torch::nn::Module& model() override { return *net_; }
  at::Tensor forward(const at::Tensor& input) override { return net_->forward(input); }
  bool classification() const override { return true; }
  io::NamedTensors deploy_state() override;
  std::map<std::string, std::string> deploy_metadata() override;

  const AudioModelSpec& spec() const { return spec_; }
  models::PooledClassifier& net() { return net_; }

 private:
  AudioModelSpec spec_;
  models::PooledClassifier net_;
};

}  // namespace unirep::sdk
