#pragma once
// Background noise for speech data: synthetic noise of four kinds (white, pink, brown, mains hum)
// and mixing it under speech at a chosen signal-to-noise ratio. The keyword data generator bakes
// one noise into each clip; the training augmentation mixes a fresh one into every read, so a clip
// is heard over many noises and at many SNRs (as Speech Commands recipes mix _background_noise_).
#include <cstddef>
#include <random>
#include <vector>

namespace unirep::modalities {

enum class NoiseKind { kWhite, kPink, kBrown, kHum };

// n samples at `rate` Hz of the given kind, scaled to unit RMS. Pink: Paul Kellet's filter over
// white noise; brown: leaky integrated white noise; hum: 50 or 60 Hz (drawn) with two harmonics
// and a little hiss.
std::vector<float> make_noise(NoiseKind kind, size_t n, int rate, std::mt19937_64& rng);

// A kind drawn uniformly, then make_noise.
std::vector<float> make_random_noise(size_t n, int rate, std::mt19937_64& rng);

// RMS of the speech in a clip that is mostly silence: over the 10 ms frames whose energy is within
// 40 dB of the loudest frame (the word, not the padding around it). 0 for silence.
double active_speech_rms(const std::vector<float>& samples, int rate);

// speech += noise * g, with g so that speech_rms / (g * rms(noise)) is snr_db. `noise` is as long as
// `speech` or longer (its start is used). Throws std::invalid_argument when it is shorter.
void mix_at_snr(std::vector<float>& speech, const std::vector<float>& noise, double speech_rms, double snr_db);

}  // namespace unirep::modalities
