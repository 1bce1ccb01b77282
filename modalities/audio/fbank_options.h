#pragma once
// Options of the Kaldi-compatible log-mel filterbank, named as in Kaldi (and torchaudio's
// compliance.kaldi.fbank). Defaults are the official UniRepLKNet audio pipeline (docs/audio.md):
// 25 ms symmetric Hann ("hanning") window, 10 ms shift, pre-emphasis 0.97, per-frame DC removal,
// 512-point FFT, 128 mel bins from 20 Hz to Nyquist, natural log with a float-epsilon floor, no dither.
#include <string>

namespace unirep::modalities {

struct FrameExtractionOptions {
  float samp_freq = 16000.0f;
  float frame_shift_ms = 10.0f;
  float frame_length_ms = 25.0f;
  float dither = 0.0f;
  float preemph_coeff = 0.97f;
  bool remove_dc_offset = true;
  std::string window_type = "hanning";  // hanning | hamming | povey | rectangular | blackman
  bool round_to_power_of_two = true;
  float blackman_coeff = 0.42f;
  bool snip_edges = true;
};

struct MelBanksOptions {
  int num_bins = 128;
  float low_freq = 20.0f;
  float high_freq = 0.0f;  // <= 0: offset from Nyquist
  float vtln_low = 100.0f;
  float vtln_high = -500.0f;
};

struct FbankOptions {
  FrameExtractionOptions frame_opts;
  MelBanksOptions mel_opts;
  bool use_energy = false;
  float energy_floor = 1.0f;
  bool raw_energy = true;
  bool htk_compat = true;
  bool use_log_fbank = true;
  bool use_power = true;
  bool subtract_mean = false;  // per-utterance mean over frames
};

}  // namespace unirep::modalities
