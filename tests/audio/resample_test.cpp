// Resampling: tones keep frequency and level through the passband, are removed in the stopband,
// streaming in odd blocks equals one-shot, and the output length rule holds.
#include "modalities/audio/augment.h"
#include "modalities/audio/resample.h"

#include <gtest/gtest.h>

#include <random>

#include "tone_analysis.h"

namespace unirep::modalities {
namespace {
// One second of a tone at `from`, resampled to `to`; returns output level / input level in dB,
// measured on the middle half (away from the filter's start and end transients).
double gain_db(double freq, int from, int to) {
  const auto in = unirep::testing::sine(freq, from, static_cast<size_t>(from));
  const auto out = resample(in, from, to);
  const auto mid_in = unirep::testing::slice(in, in.size() / 4, in.size() * 3 / 4);
  const auto mid_out = unirep::testing::slice(out, out.size() / 4, out.size() * 3 / 4);
  return unirep::testing::db(unirep::testing::rms(mid_out) / unirep::testing::rms(mid_in));
}

TEST(Resample, SineKeepsFrequencyAndLevel) {
  for (int from : {44100, 48000, 8000, 22050, 32000}) {
    SCOPED_TRACE("from " + std::to_string(from) + " Hz");
    const auto in = unirep::testing::sine(1000, from, static_cast<size_t>(from));  // 1 s
    const auto out = resample(in, from, 16000);
    ASSERT_EQ(out.size(), 16000u);
    const auto mid = unirep::testing::slice(out, 4000, 12000);
    EXPECT_NEAR(unirep::testing::peak_frequency(unirep::testing::slice(out, 4000, 8096), 16000), 1000.0, 1.0);
    EXPECT_NEAR(unirep::testing::zero_crossing_frequency(mid, 16000), 1000.0, 0.05);
    // Level within 0.1 dB, and the waveform itself matches the ideal 16 kHz sine.
    EXPECT_NEAR(unirep::testing::db(unirep::testing::rms(mid) / (0.5 / std::sqrt(2.0))), 0.0, 0.1);
    const auto ideal = unirep::testing::sine(1000, 16000, 16000);
    double worst = 0;
    for (size_t i = 4000; i < 12000; ++i) worst = std::max(worst, std::abs(static_cast<double>(out[i]) - ideal[i]));
    EXPECT_LT(worst, 1e-3);
  }
}

TEST(Resample, PassbandIsFlatToNineTenthsOfNyquist) {
  // Lower Nyquist 8 kHz: flat (0.1 dB) from low frequencies up to 0.9 of it.
  for (int from : {48000, 44100, 8000}) {
    const int to = 16000;
    const double nyquist = std::min(from, to) / 2.0;
    for (double f : {0.05, 0.3, 0.6, 0.8, 0.875, 0.9}) {
      SCOPED_TRACE(std::to_string(from) + " Hz, tone at " + std::to_string(f) + " x Nyquist");
      EXPECT_NEAR(gain_db(f * nyquist, from, to), 0.0, 0.1);
    }
  }
}

TEST(Resample, ToneBelowNyquistKeptToneAboveRemoved) {
  // 48k -> 16k: 7 kHz (0.875 of the new Nyquist) passes unchanged; 9 kHz would alias to 7 kHz and
  // must be gone (80 dB, the header's promise). A tone between 0.9 and 1.0 of the Nyquist (e.g.
  // 7.9 kHz) lies in the transition band and is attenuated by design.
  EXPECT_NEAR(gain_db(7000, 48000, 16000), 0.0, 0.1);
  EXPECT_NEAR(gain_db(7200, 48000, 16000), 0.0, 0.1);
  EXPECT_LT(gain_db(9000, 48000, 16000), -80.0);
}

TEST(Resample, StopbandAttenuationAtLeast80dB) {
  // Everything from the new Nyquist up must be attenuated by 80 dB (it would alias otherwise).
  for (int from : {48000, 44100, 22050}) {
    for (double f : {8000.0, 8200.0, 9000.0, 10000.0, 15000.0, 0.45 * from}) {
      if (f >= from / 2.0) continue;
      SCOPED_TRACE(std::to_string(from) + " Hz, tone at " + std::to_string(f) + " Hz");
      EXPECT_LT(gain_db(f, from, 16000), -80.0);
    }
  }
}

TEST(Resample, UpsamplingLeavesNoImage) {
  // 8k -> 16k: a 3.5 kHz tone keeps its level; its image at 8 - 3.5 + 8 = 4.5 kHz is 80 dB down.
  const auto in = unirep::testing::sine(3500, 8000, 8000);
  const auto out = resample(in, 8000, 16000);
  ASSERT_EQ(out.size(), 16000u);
  const auto mid = unirep::testing::slice(out, 4000, 12000);
  EXPECT_NEAR(unirep::testing::amplitude_at(mid, 3500, 16000), 0.5, 0.5 * 0.0116);  // 0.1 dB
  EXPECT_LT(unirep::testing::amplitude_at(mid, 4500, 16000), 0.5 * 1e-4);
}

TEST(Resample, StreamingInOddBlocksEqualsOneShot) {
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, 0.3f);
  std::vector<float> in(50000);
  for (auto& v : in) v = noise(rng);
  for (auto [from, to] : {std::pair{48000, 16000}, {44100, 16000}, {8000, 16000}, {16000, 44100}, {22050, 16000}}) {
    SCOPED_TRACE(std::to_string(from) + " -> " + std::to_string(to));
    const auto whole = resample(in, from, to);
    Resampler r(from, to);
    std::vector<float> streamed;
    const int64_t blocks[] = {1, 7, 333, 4097, 2, 65537, 13};
    size_t at = 0, b = 0;
    while (at < in.size()) {
      const size_t n = std::min<size_t>(static_cast<size_t>(blocks[b++ % 7]), in.size() - at);
      const size_t before = streamed.size();
      r.process(in.data() + at, static_cast<int64_t>(n), streamed);
      EXPECT_LE(streamed.size() - before, n * to / from + 2);  // no burst: output follows input
      at += n;
    }
    r.process(in.data(), 0, streamed);  // an empty block is harmless
    r.flush(streamed);
    ASSERT_EQ(streamed.size(), whole.size());
    double worst = 0;
    for (size_t i = 0; i < whole.size(); ++i)
      worst = std::max(worst, static_cast<double>(std::abs(streamed[i] - whole[i])));
    EXPECT_LE(worst, 1e-5);
  }
}

TEST(Resample, OutputLengthIsRoundedRatio) {
  for (auto [from, to] : {std::pair{44100, 16000}, {48000, 16000}, {8000, 16000}, {16000, 22050}, {3, 2}}) {
    for (size_t n : {0, 1, 2, 3, 5, 441, 1000, 44101, 44122}) {
      const auto out = resample(std::vector<float>(n, 0.25f), from, to);
      // round(n * to / from), halves rounded up.
      const size_t expected =
          (2 * n * static_cast<size_t>(to) + static_cast<size_t>(from)) / (2 * static_cast<size_t>(from));
      EXPECT_EQ(out.size(), expected) << n << " samples " << from << " -> " << to;
    }
  }
}

TEST(Resample, DcLevelIsKept) {
  // A constant stays constant away from the ends (the kernels of every phase sum to 1).
  const auto out = resample(std::vector<float>(44100, 0.25f), 44100, 16000);
  for (size_t i = 2000; i < 14000; ++i) ASSERT_NEAR(out[i], 0.25f, 1e-4f) << i;
}

TEST(Resample, SameRateReturnsACopy) {
  const std::vector<float> in = {0.1f, -0.2f, 0.3f};
  EXPECT_EQ(resample(in, 16000, 16000), in);
  Resampler r(16000, 16000);
  std::vector<float> out;
  r.process(in.data(), 3, out);
  r.flush(out);
  EXPECT_EQ(out, in);
}

TEST(Resample, RejectsBadRates) {
  EXPECT_THROW(resample({0.0f}, 0, 16000), std::invalid_argument);
  EXPECT_THROW(resample({0.0f}, 16000, -1), std::invalid_argument);
  EXPECT_THROW(Resampler(16000, 0), std::invalid_argument);
  EXPECT_THROW(Resampler(768000, 1), std::invalid_argument);  // 1:768000 is not a resampling task
}

}  // namespace
}  // namespace unirep::modalities

namespace unirep::modalities {
namespace {

// Speed perturbation: 1.25x faster raises a 440 Hz tone to 550 Hz and shortens it by 1.25; 0.8x
// lowers it to 352 Hz; the level is kept; a factor of 1 returns the input unchanged.
TEST(ChangeSpeed, ScalesFrequencyAndLengthTogether) {
  const auto in = unirep::testing::sine(440, 16000, 16000);
  for (double f : {1.25, 0.8}) {
    const auto out = change_speed(in, 16000, f);
    EXPECT_NEAR(static_cast<double>(out.size()), 16000 / f, 2) << f;
    const auto mid = unirep::testing::slice(out, out.size() / 4, out.size() * 3 / 4);
    EXPECT_NEAR(unirep::testing::peak_frequency(mid, 16000), 440 * f, 3) << f;
    EXPECT_NEAR(
        unirep::testing::db(unirep::testing::rms(mid) / unirep::testing::rms(unirep::testing::slice(in, 4000, 12000))),
        0.0, 0.1)
        << f;
  }
  EXPECT_EQ(change_speed(in, 16000, 1.0), in);
  EXPECT_THROW(change_speed(in, 16000, 0.0), std::invalid_argument);
}

}  // namespace
}  // namespace unirep::modalities
