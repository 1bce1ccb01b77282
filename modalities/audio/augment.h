#pragma once
// Training-time augmentation of the official audio recipe (docs/audio.md):
// SpecAugment frequency and time masking, uniform noise plus a random roll in time, and waveform
// mixup. All take an explicit random generator so a data set can be deterministic for a seed.
#include <ATen/Tensor.h>

#include <cstdint>
#include <random>
#include <vector>

namespace unirep::modalities {

struct AudioAugmentOptions {
  int freq_mask = 48;         // SpecAugment: frequency mask width drawn from [0, freq_mask); 0 = off
  int time_mask = 48;         // time mask width drawn from [0, time_mask); 0 = off
  bool noise = true;          // add U[0,1) * r / 10 (r ~ U[0,1) per clip), then roll in time
  int max_roll = 10;          // roll by an integer in [-max_roll, max_roll - 1]
  double mixup = 0.6;         // probability of waveform mixup with another clip; 0 = off
  double mixup_alpha = 10.0;  // lambda ~ Beta(alpha, alpha)
  // Speed perturbation on every read (not in the official recipe; Kaldi's): the waveform plays
  // f times faster, f ~ U[1 - speed, 1 + speed], pitch and formants moving together as with a
  // shorter or longer vocal tract. 0 = off.
  double speed = 0.0;
  // Random equalization (not in the official recipe): every read, a smooth random gain curve over
  // the mel bins, at most +-eq_db dB, as a different voice quality, microphone or room would give
  // (spectral tilt and broad resonances). 0 = off.
  double eq_db = 0.0;
  // Background noise on every read (not in the official recipe; Speech Commands recipes mix their
  // _background_noise_ recordings in): with probability bg_noise, a fresh random noise (white,
  // pink, brown or mains hum, see background_noise.h) under the clip's active speech at an SNR
  // drawn from [bg_noise_min_snr_db, bg_noise_max_snr_db], after speed perturbation and mixup.
  // A clip is then heard over a new noise each epoch instead of the one recorded with it. 0 = off.
  double bg_noise = 0.0;
  double bg_noise_min_snr_db = 5.0, bg_noise_max_snr_db = 30.0;
};

// Resamples `samples` (at `rate` Hz) so that it plays `factor` times faster at the same rate; the
// intermediate rate is kept on a 100 Hz grid so resampling filters stay small.
std::vector<float> change_speed(const std::vector<float>& samples, int rate, double factor);

// torchaudio's FrequencyMasking / TimeMasking on a 1 x F x T backbone input, in place: a band of
// width floor(U * max_width) starting at floor(U' * (size - width)) takes `fill` (the normalized
// value of the official 0.0 fill, since masking happens before normalization there).
void spec_augment(at::Tensor& input, int freq_mask, int time_mask, float fill, std::mt19937_64& rng);

// The official noise augmentation on a 1 x F x T input, in place: + U[0,1) * r / 10, then a roll
// along time by an integer in [-max_roll, max_roll - 1].
void add_noise_and_roll(at::Tensor& input, int max_roll, std::mt19937_64& rng);

// A smooth random gain curve over the F mel bins of a 1 x F x T backbone input, in place: a tilt
// plus three cosine terms with random weights, scaled so its largest gain is U[0,1) * max_db dB
// (of power; converted to the input's normalized log units with `norm_std`, the input being
// log-mel / (2 * norm_std)). Columns equal to `pad_value` in every bin (the padding after a
// short clip) are left alone.
void random_equalization(at::Tensor& input, double max_db, double norm_std, float pad_value, std::mt19937_64& rng);

// lambda ~ Beta(alpha, alpha).
double sample_mixup_lambda(double alpha, std::mt19937_64& rng);

// lambda * a + (1 - lambda) * b, with b zero-padded or cut to a's length, then the mean removed
// again (as the official loader does).
std::vector<float> mix_waveforms(const std::vector<float>& a, const std::vector<float>& b, double lambda);

}  // namespace unirep::modalities
