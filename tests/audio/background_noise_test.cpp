// Background noise: each kind has unit RMS and its own character (correlation between neighbouring
// samples, the hum's period), the active speech level ignores the silence around a word, and
// mix_at_snr lands on the SNR asked for.
#include <unirep/modalities/audio/background_noise.h>

#include <gtest/gtest.h>

#include <stdexcept>

#include "tone_analysis.h"

namespace audio = unirep::modalities::audio;
namespace tone = unirep::testing::tone;

namespace {

double correlation_at(const std::vector<float>& x, size_t lag) {
  double num = 0, den = 0;
  for (size_t i = 0; i + lag < x.size(); ++i) num += static_cast<double>(x[i]) * x[i + lag];
  for (float v : x) den += static_cast<double>(v) * v;
  return num / den;
}

}  // namespace

TEST(BackgroundNoise, KindsHaveUnitLevelAndTheirOwnColour) {
  std::mt19937_64 rng(7);
  const auto white = audio::make_noise(audio::NoiseKind::kWhite, 16000, 16000, rng);
  const auto pink = audio::make_noise(audio::NoiseKind::kPink, 16000, 16000, rng);
  const auto brown = audio::make_noise(audio::NoiseKind::kBrown, 16000, 16000, rng);
  const auto hum = audio::make_noise(audio::NoiseKind::kHum, 16000, 16000, rng);
  for (const auto* x : {&white, &pink, &brown, &hum}) {
    ASSERT_EQ(x->size(), 16000u);
    EXPECT_NEAR(tone::rms(*x), 1.0, 1e-4);
  }
  // Neighbouring samples: independent in white noise, more alike the redder the noise.
  EXPECT_LT(std::abs(correlation_at(white, 1)), 0.05);
  EXPECT_GT(correlation_at(pink, 1), 0.3);
  EXPECT_GT(correlation_at(brown, 1), 0.95);
  EXPECT_GT(correlation_at(brown, 1), correlation_at(pink, 1));
  // Hum repeats every mains period (320 samples at 50 Hz, 266.7 at 60 Hz).
  EXPECT_GT(std::max(correlation_at(hum, 320), correlation_at(hum, 267)), 0.9);

  std::mt19937_64 a(3), b(3);
  EXPECT_EQ(audio::make_random_noise(1000, 16000, a), audio::make_random_noise(1000, 16000, b));  // seeded
}

TEST(BackgroundNoise, ActiveSpeechLevelIgnoresTheSilenceAroundTheWord) {
  std::vector<float> clip(16000, 0.0f);
  const auto word = tone::sine(440, 16000, 4800, 0.4);  // 0.3 s in the middle of 1 s
  std::copy(word.begin(), word.end(), clip.begin() + 5600);
  EXPECT_NEAR(audio::active_speech_rms(clip, 16000), 0.4 / std::sqrt(2.0), 0.01);
  EXPECT_LT(tone::rms(clip), 0.2);  // the plain RMS of the clip would be far lower
  EXPECT_EQ(audio::active_speech_rms(std::vector<float>(16000, 0.0f), 16000), 0.0);
  EXPECT_EQ(audio::active_speech_rms({}, 16000), 0.0);
}

TEST(BackgroundNoise, MixesAtTheRequestedSnr) {
  std::mt19937_64 rng(11);
  const auto speech = tone::sine(300, 16000, 16000, 0.5);
  for (double snr : {0.0, 10.0, 25.0}) {
    auto mixed = speech;
    const auto noise = audio::make_random_noise(16000, 16000, rng);
    audio::mix_at_snr(mixed, noise, tone::rms(speech), snr);
    std::vector<float> added(mixed.size());
    for (size_t i = 0; i < mixed.size(); ++i) added[i] = mixed[i] - speech[i];
    EXPECT_NEAR(tone::db(tone::rms(speech) / tone::rms(added)), snr, 0.01) << snr;
  }
  auto s = speech;
  EXPECT_THROW(audio::mix_at_snr(s, std::vector<float>(10, 1.0f), 0.3, 10), std::invalid_argument);
  auto silent = std::vector<float>(100, 0.0f);
  audio::mix_at_snr(silent, std::vector<float>(100, 1.0f), 0.0, 10);  // nothing to measure against: unchanged
  EXPECT_EQ(silent, std::vector<float>(100, 0.0f));
}
