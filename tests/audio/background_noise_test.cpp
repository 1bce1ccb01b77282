// Background noise: each kind has unit RMS and its own character (correlation between neighbouring
// samples, the hum's period), the active speech level ignores the silence around a word, and
// mix_at_snr lands on the SNR asked for.
#include "modalities/audio/background_noise.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "tone_analysis.h"
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
  const auto white = unirep::modalities::make_noise(unirep::modalities::NoiseKind::kWhite, 16000, 16000, rng);
  const auto pink = unirep::modalities::make_noise(unirep::modalities::NoiseKind::kPink, 16000, 16000, rng);
  const auto brown = unirep::modalities::make_noise(unirep::modalities::NoiseKind::kBrown, 16000, 16000, rng);
  const auto hum = unirep::modalities::make_noise(unirep::modalities::NoiseKind::kHum, 16000, 16000, rng);
  for (const auto* x : {&white, &pink, &brown, &hum}) {
    ASSERT_EQ(x->size(), 16000u);
    EXPECT_NEAR(unirep::testing::rms(*x), 1.0, 1e-4);
  }
  // Neighbouring samples: independent in white noise, more alike the redder the noise.
  EXPECT_LT(std::abs(correlation_at(white, 1)), 0.05);
  EXPECT_GT(correlation_at(pink, 1), 0.3);
  EXPECT_GT(correlation_at(brown, 1), 0.95);
  EXPECT_GT(correlation_at(brown, 1), correlation_at(pink, 1));
  // Hum repeats every mains period (320 samples at 50 Hz, 266.7 at 60 Hz).
  EXPECT_GT(std::max(correlation_at(hum, 320), correlation_at(hum, 267)), 0.9);

  std::mt19937_64 a(3), b(3);
  EXPECT_EQ(unirep::modalities::make_random_noise(1000, 16000, a),
            unirep::modalities::make_random_noise(1000, 16000, b));  // seeded
}

TEST(BackgroundNoise, ActiveSpeechLevelIgnoresTheSilenceAroundTheWord) {
  std::vector<float> clip(16000, 0.0f);
  const auto word = unirep::testing::sine(440, 16000, 4800, 0.4);  // 0.3 s in the middle of 1 s
  std::copy(word.begin(), word.end(), clip.begin() + 5600);
  EXPECT_NEAR(unirep::modalities::active_speech_rms(clip, 16000), 0.4 / std::sqrt(2.0), 0.01);
  EXPECT_LT(unirep::testing::rms(clip), 0.2);  // the plain RMS of the clip would be far lower
  EXPECT_EQ(unirep::modalities::active_speech_rms(std::vector<float>(16000, 0.0f), 16000), 0.0);
  EXPECT_EQ(unirep::modalities::active_speech_rms({}, 16000), 0.0);
}

TEST(BackgroundNoise, MixesAtTheRequestedSnr) {
  std::mt19937_64 rng(11);
  const auto speech = unirep::testing::sine(300, 16000, 16000, 0.5);
  for (double snr : {0.0, 10.0, 25.0}) {
    auto mixed = speech;
    const auto noise = unirep::modalities::make_random_noise(16000, 16000, rng);
    unirep::modalities::mix_at_snr(mixed, noise, unirep::testing::rms(speech), snr);
    std::vector<float> added(mixed.size());
    for (size_t i = 0; i < mixed.size(); ++i) added[i] = mixed[i] - speech[i];
    EXPECT_NEAR(unirep::testing::db(unirep::testing::rms(speech) / unirep::testing::rms(added)), snr, 0.01) << snr;
  }
  auto s = speech;
  EXPECT_THROW(unirep::modalities::mix_at_snr(s, std::vector<float>(10, 1.0f), 0.3, 10), std::invalid_argument);
  auto silent = std::vector<float>(100, 0.0f);
  unirep::modalities::mix_at_snr(silent, std::vector<float>(100, 1.0f), 0.0,
                                 10);  // nothing to measure against: unchanged
  EXPECT_EQ(silent, std::vector<float>(100, 0.0f));
}
