#pragma once
// From a mono 16 kHz waveform to what the backbone takes, as the official audio pipeline does it
// (docs/audio.md): subtract the clip's mean, Kaldi fbank (frames x 128), pad with 0.0 or cut to
// target_frames in time, normalize (x - mean) / (2 * std), then transpose so the backbone input is
// 1 x mel (height, low to high) x time (width). These settings travel with a trained model.
#include "modalities/audio/fbank_options.h"

#include <ATen/Tensor.h>

#include <string>
#include <vector>

namespace unirep::modalities {

struct AudioInputOptions {
  int sample_rate = 16000;
  int target_frames = 128;
  double norm_mean = -6.845978;  // Speech Commands statistics from the official run_sc.sh
  double norm_std = 5.5654526;   // applied as (x - mean) / (2 * std), like the official code
  FbankOptions fbank;            // samp_freq follows sample_rate
};

// Frames x bins log-mel of a waveform at options.sample_rate (mean removed first). The
// `--raw-fbank` output of `unirep preprocess audio`.
at::Tensor waveform_to_fbank(const std::vector<float>& samples, const AudioInputOptions& options = {});

// Frames x bins log-mel -> 1 x bins x target_frames backbone input (pad/cut, normalize, transpose).
at::Tensor fbank_to_input(const at::Tensor& fbank, const AudioInputOptions& options = {});

// Both steps.
at::Tensor waveform_to_input(const std::vector<float>& samples, const AudioInputOptions& options = {});

// std::invalid_argument naming the field ("AudioInputOptions.norm_std must be positive and finite,
// got nan") when a setting would make every input NaN: a non-finite or non-positive norm_std, a
// non-finite norm_mean or filterbank setting, a frame shift or length that is not positive.
void check_audio_input_options(const AudioInputOptions& options);

// JSON (stored in model files) <-> options; unknown keys are an error naming the key, and the
// result passes check_audio_input_options.
std::string to_json(const AudioInputOptions& options);
AudioInputOptions audio_input_options_from_json(const std::string& json);

}  // namespace unirep::modalities
