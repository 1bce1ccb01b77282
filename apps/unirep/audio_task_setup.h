#pragma once
// `unirep train audio` / `unirep evaluate audio`: datasets and model for the audio task, built from
// command-line options (the engine itself is shared with the other tasks, see cmd_train.cpp).
#include <unirep/modalities/audio/audio_file_list.h>
#include <unirep/sdk/audio/audio_dataset.h>
#include <unirep/sdk/audio/audio_model.h>

#include "classifier_evaluation.h"

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

namespace unirep::cli {

struct AudioTaskOptions {
  std::string data, val_data, test_data;  // folder (Speech Commands layout) or CSV of path,label
  int target_frames = 128;
  double norm_mean = -6.845978, norm_std = 5.5654526;
  bool no_augment = false;
  double mixup = 0.6;
  int freq_mask = 48, time_mask = 48;
  double speed = 0.0;
  double eq_db = 0.0;
  double bg_noise = 0.0, bg_noise_min_snr_db = 5.0, bg_noise_max_snr_db = 30.0;
  bool noise = true;

  void add_to(CLI::App& app);
};

struct AudioTraining {
  std::unique_ptr<sdk::audio::AudioTask> task;
  std::shared_ptr<sdk::audio::AudioDataset> train, validation, test;
};

AudioTraining build_audio_training(const AudioTaskOptions& o, const std::string& model, double drop_path, uint64_t seed);

struct AudioEvaluationOptions {
  std::string split = "test";
  size_t batch_size = 32;
  // Accuracy per speaker: the Speech Commands id (file name before "_nohash_"), or, with a pattern,
  // the first capture group of this ECMAScript regex searched in the file name.
  bool by_speaker = false;
  std::string speaker_pattern;
  std::string report_path;  // non-empty: the whole report as JSON (written only when complete)
};

// Accuracy and loss of a model file on labelled clips (labels must be among the model's); for a
// single-label model also the per-class, confusion and per-speaker report.
ClassifierEvaluation evaluate_audio_model(const std::string& model_file, const std::string& data, const AudioEvaluationOptions& o);

}  // namespace unirep::cli
