#include "modalities/audio/background_noise.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace unirep::modalities {

std::vector<float> make_noise(NoiseKind kind, size_t n, int rate, std::mt19937_64& rng) {
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> x(n);
  switch (kind) {
    case NoiseKind::kWhite:
      for (auto& v : x) v = g(rng);
      break;
    case NoiseKind::kPink: {
      float b0 = 0, b1 = 0, b2 = 0;
      for (auto& v : x) {
        const float w = g(rng);
        b0 = 0.99765f * b0 + w * 0.0990460f;
        b1 = 0.96300f * b1 + w * 0.2965164f;
        b2 = 0.57000f * b2 + w * 1.0526913f;
        v = b0 + b1 + b2 + w * 0.1848f;
      }
      break;
    }
    case NoiseKind::kBrown: {
      float acc = 0;
      for (auto& v : x) v = acc = 0.995f * acc + 0.1f * g(rng);
      break;
    }
    case NoiseKind::kHum: {
      const double f = rng() % 2 ? 50.0 : 60.0;
      for (size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / rate;
        x[i] = static_cast<float>(std::sin(2 * M_PI * f * t) + 0.5 * std::sin(4 * M_PI * f * t) +
                                  0.25 * std::sin(6 * M_PI * f * t)) +
               0.05f * g(rng);
      }
      break;
    }
  }
  double ss = 0;
  for (float v : x) ss += static_cast<double>(v) * v;
  const float rms = static_cast<float>(std::sqrt(ss / static_cast<double>(std::max<size_t>(1, n))));
  for (auto& v : x) v /= rms > 0 ? rms : 1.0f;
  return x;
}

std::vector<float> make_random_noise(size_t n, int rate, std::mt19937_64& rng) {
  return make_noise(static_cast<NoiseKind>(rng() % 4), n, rate, rng);
}

double active_speech_rms(const std::vector<float>& samples, int rate) {
  const size_t frame = std::max<size_t>(1, static_cast<size_t>(rate / 100));
  std::vector<double> energy;  // mean square per frame
  for (size_t start = 0; start < samples.size(); start += frame) {
    const size_t end = std::min(samples.size(), start + frame);
    double ss = 0;
    for (size_t i = start; i < end; ++i) ss += static_cast<double>(samples[i]) * samples[i];
    energy.push_back(ss / static_cast<double>(end - start));
  }
  const double loudest = energy.empty() ? 0.0 : *std::max_element(energy.begin(), energy.end());
  if (loudest <= 0) return 0.0;
  double sum = 0;
  size_t count = 0;
  for (double e : energy)
    if (e >= loudest * 1e-4) sum += e, ++count;  // within 40 dB
  return std::sqrt(sum / static_cast<double>(count));
}

void mix_at_snr(std::vector<float>& speech, const std::vector<float>& noise, double speech_rms, double snr_db) {
  if (noise.size() < speech.size())
    throw std::invalid_argument("mix_at_snr: " + std::to_string(noise.size()) + " noise samples for " +
                                std::to_string(speech.size()) + " speech samples");
  double ss = 0;
  for (size_t i = 0; i < speech.size(); ++i) ss += static_cast<double>(noise[i]) * noise[i];
  const double noise_rms = std::sqrt(ss / static_cast<double>(std::max<size_t>(1, speech.size())));
  if (noise_rms <= 0 || speech_rms <= 0) return;
  const auto gain = static_cast<float>(speech_rms / std::pow(10.0, snr_db / 20.0) / noise_rms);
  for (size_t i = 0; i < speech.size(); ++i) speech[i] += gain * noise[i];
}

}  // namespace unirep::modalities
