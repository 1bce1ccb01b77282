// The keyword stream: its windows get the clip classifier's scores whatever the chunking and the
// sample format; events follow the threshold, refractory and '_' rules; bad pushes are clear
// errors that leave the stream usable (docs/audio.md, "Streaming").
#include "models/backbone/randomize.h"
#include "models/io/safetensors.h"
#include "sdk/audio/audio_model.h"
#include "sdk/audio/keyword_stream.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "support/test_support.h"

using namespace unirep;
using unirep::testing::TempDir;

namespace {

std::string write_model(const TempDir& dir, const std::vector<std::string>& labels) {
  sdk::AudioModelSpec spec;
  spec.backbone.depths = {1, 1, 1, 1};
  spec.backbone.dims = {8, 16, 16, 32};
  spec.backbone.kernel_sizes = {{3}, {7}, {3}, {5}};
  spec.backbone.in_chans = 1;
  spec.labels = labels;
  sdk::AudioTask task(spec);
  models::randomize_for_checks(task.model(), 21);
  task.model().eval();
  const auto path = dir.file("kws.safetensors");
  io::write_safetensors(path, task.deploy_state(), task.deploy_metadata());
  return path;
}

// Bursts of tones over noise: the windows' scores differ from each other.
std::vector<float> test_audio(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.01f);
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const bool on = (i / 8000) % 3 == 1;
    x[static_cast<size_t>(i)] = 0.01f + noise(rng) + (on ? 0.4f * std::sin(0.05f * i * (1 + (i / 24000) % 4)) : 0.0f);
  }
  return x;
}

std::vector<sdk::WindowScores> stream_scores(sdk::KeywordStream& stream, const std::vector<float>& x, int64_t chunk,
                                             int rate = 16000) {
  for (int64_t pos = 0; pos < static_cast<int64_t>(x.size()); pos += chunk) {
    stream.accept_waveform(rate, x.data() + pos, std::min<int64_t>(chunk, static_cast<int64_t>(x.size()) - pos));
    while (stream.is_ready()) stream.decode();
  }
  stream.input_finished();
  while (stream.is_ready()) stream.decode();
  return stream.take_window_scores();
}

void expect_same_windows(const std::vector<sdk::WindowScores>& got, const std::vector<sdk::WindowScores>& want,
                         const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].start_s, want[i].start_s, 1e-9) << what << " window " << i;
    EXPECT_NEAR(got[i].end_s, want[i].end_s, 1e-9) << what << " window " << i;
    for (size_t k = 0; k < got[i].scores.size(); ++k)
      EXPECT_NEAR(got[i].scores[k], want[i].scores[k], 1e-4) << what << " window " << i << " label " << k;
  }
}

}  // namespace

// Windows as long as the model's input (128 frames): the clip classifier's sliding windows.
TEST(KeywordStream, FullWindowsGetTheClipClassifiersScoresWhateverTheChunking) {
  TempDir dir;
  const auto spotter = sdk::KeywordSpotter::load(write_model(dir, {"yes", "no", "stop"}));
  const auto x = test_audio(16000 * 4 + 777, 1);  // the last window is end-aligned
  sdk::ClassifyOptions clip;
  clip.hop_s = 0.1;
  const auto want = spotter.classifier().classify_samples(x, clip).windows;
  ASSERT_GT(want.size(), 20u);
  sdk::KeywordStreamOptions o;
  o.keep_window_scores = true;
  o.window_s = 2.0;  // more than the model's input: the model's input
  for (const int64_t chunk : {1, 7, 320, 997, 16000, 100000}) {
    auto stream = spotter.create_stream(o);
    expect_same_windows(stream_scores(stream, x, chunk), want, "chunk " + std::to_string(chunk));
  }
}

// The default 1 s windows: each gets what the clip classifier gives its samples as a 1 s clip.
TEST(KeywordStream, OneSecondWindowsScoreLikeOneSecondClips) {
  TempDir dir;
  const auto spotter = sdk::KeywordSpotter::load(write_model(dir, {"yes", "no", "stop"}));
  const auto x = test_audio(16000 * 3 + 321, 8);
  sdk::KeywordStreamOptions o;
  o.keep_window_scores = true;
  for (const int64_t chunk : {1, 333, 16000}) {
    auto stream = spotter.create_stream(o);
    const auto got = stream_scores(stream, x, chunk);
    ASSERT_GE(got.size(), 21u);
    std::vector<sdk::WindowScores> want;
    for (const auto& w : got) {
      const auto begin = x.begin() + std::llround(w.start_s * 16000), end = x.begin() + std::llround(w.end_s * 16000);
      EXPECT_NEAR(w.end_s - w.start_s, 0.995, 1e-9);  // 98 frames: (98 - 1) x 10 ms + 25 ms
      auto clip = spotter.classifier().classify_samples(std::vector<float>(begin, end)).windows.at(0);
      clip.start_s = w.start_s;
      clip.end_s = w.end_s;
      want.push_back(clip);
    }
    expect_same_windows(got, want, "chunk " + std::to_string(chunk));
  }
}

TEST(KeywordStream, ShortStreamGetsOneShortWindowLikeAShortClip) {
  TempDir dir;
  const auto spotter = sdk::KeywordSpotter::load(write_model(dir, {"yes", "no", "stop"}));
  const auto x = test_audio(9000, 2);  // shorter than a window
  const auto want = spotter.classifier().classify_samples(x).windows;
  sdk::KeywordStreamOptions o;
  o.keep_window_scores = true;
  auto stream = spotter.create_stream(o);
  expect_same_windows(stream_scores(stream, x, 160), want, "short stream");
}

TEST(KeywordStream, Int16AndOtherRatesArePushedLikeFloatAtTheModelRate) {
  TempDir dir;
  const auto spotter = sdk::KeywordSpotter::load(write_model(dir, {"yes", "no", "stop"}));
  auto x = test_audio(16000 * 2, 3);
  std::vector<int16_t> pcm(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    pcm[i] = static_cast<int16_t>(std::lround(x[i] * 32767.0f));
    x[i] = static_cast<float>(pcm[i]) / 32768.0f;
  }
  sdk::KeywordStreamOptions o;
  o.keep_window_scores = true;
  auto as_float = spotter.create_stream(o), as_int = spotter.create_stream(o);
  const auto want = stream_scores(as_float, x, 320);
  for (size_t pos = 0; pos < pcm.size(); pos += 320) as_int.accept_waveform(16000, pcm.data() + pos, 320);
  as_int.input_finished();
  while (as_int.is_ready()) as_int.decode();
  expect_same_windows(as_int.take_window_scores(), want, "int16");

  // 48 kHz in: the stream resamples; its clock runs in model-rate samples.
  auto at48 = spotter.create_stream(o);
  std::vector<float> y(x.size() * 3);
  for (size_t i = 0; i < y.size(); ++i) y[i] = x[i / 3];
  stream_scores(at48, y, 480, 48000);
  EXPECT_NEAR(at48.time_s(), 2.0, 1e-3);
}

TEST(KeywordStream, EventsFollowThresholdRefractoryAndUnderscoreLabels) {
  TempDir dir;
  const auto x = test_audio(16000 * 6, 4);
  {
    const auto spotter = sdk::KeywordSpotter::load(write_model(dir, {"yes", "no", "stop"}));
    sdk::KeywordStreamOptions o;
    o.threshold = 0.0f;  // every decision qualifies: the refractory period alone spaces the events
    o.smoothing = 1;
    o.refractory_s = 1.0;
    auto stream = spotter.create_stream(o);
    stream_scores(stream, x, 1600);
    const auto events = stream.take_events();
    ASSERT_GE(events.size(), 4u);
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_LE(events[i].start_s, events[i].end_s);
      EXPECT_LE(events[i].end_s, events[i].time_s + 1e-9);
      EXPECT_GE(events[i].start_s, events[i].time_s - 1.0);
      if (i > 0) EXPECT_GE(events[i].time_s - events[i - 1].time_s, 1.0 - 1e-9);
    }
    o.threshold = 1.0f;  // a softmax over three labels never reaches 1 here
    auto silent = spotter.create_stream(o);
    stream_scores(silent, x, 1600);
    EXPECT_TRUE(silent.take_events().empty());
  }
  // Labels starting with '_' are scored but never fire, even at threshold 0.
  const auto spotter = sdk::KeywordSpotter::load(write_model(dir, {"_silence_", "_unknown_"}));
  sdk::KeywordStreamOptions o;
  o.threshold = 0.0f;
  auto stream = spotter.create_stream(o);
  stream_scores(stream, x, 1600);
  EXPECT_TRUE(stream.take_events().empty());
}

TEST(KeywordStream, BadPushesAreClearErrorsAndTheStreamGoesOn) {
  TempDir dir;
  const auto spotter = sdk::KeywordSpotter::load(write_model(dir, {"yes", "no", "stop"}));
  auto stream = spotter.create_stream();
  const auto x = test_audio(16000, 5);
  stream.accept_waveform(16000, x.data(), 8000);
  std::vector<float> bad(100, 0.1f);
  bad[42] = std::numeric_limits<float>::quiet_NaN();
  try {
    stream.accept_waveform(16000, bad.data(), 100);
    FAIL() << "a NaN sample was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("nan"), std::string::npos) << e.what();
  }
  EXPECT_NEAR(stream.time_s(), 0.5, 1e-9);                                          // nothing of the bad push was taken
  EXPECT_THROW(stream.accept_waveform(8000, x.data(), 10), std::invalid_argument);  // the rate changed
  stream.accept_waveform(16000, x.data(), 0);                                       // empty: nothing
  stream.accept_waveform(16000, x.data() + 8000, 8000);
  EXPECT_NEAR(stream.time_s(), 1.0, 1e-9);
  stream.input_finished();
  EXPECT_THROW(stream.accept_waveform(16000, x.data(), 10), std::invalid_argument);
  stream.reset();
  EXPECT_EQ(stream.time_s(), 0.0);
  stream.accept_waveform(8000, x.data(), 10);  // after reset() any rate starts a new stream
}

TEST(KeywordStream, ResetMakesItEqualToANewStream) {
  TempDir dir;
  const auto spotter = sdk::KeywordSpotter::load(write_model(dir, {"yes", "no", "stop"}));
  sdk::KeywordStreamOptions o;
  o.keep_window_scores = true;
  o.threshold = 0.0f;
  const auto x = test_audio(16000 * 3, 6);
  auto fresh = spotter.create_stream(o), reused = spotter.create_stream(o);
  const auto want = stream_scores(fresh, x, 640);
  const auto want_events = fresh.take_events();
  stream_scores(reused, test_audio(16000 * 2 + 5, 7), 640);
  reused.reset();
  expect_same_windows(stream_scores(reused, x, 640), want, "after reset");
  EXPECT_EQ(reused.take_events().size(), want_events.size());
}

TEST(KeywordStream, OptionsOutOfRangeAreRefusedNamingTheField) {
  TempDir dir;
  const auto spotter = sdk::KeywordSpotter::load(write_model(dir, {"yes", "no", "stop"}));
  auto refused = [&](sdk::KeywordStreamOptions o, const std::string& field) {
    try {
      spotter.create_stream(o);
      ADD_FAILURE() << field << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  sdk::KeywordStreamOptions o;
  o.hop_s = std::nan("");
  refused(o, "hop_s");
  o = {};
  o.threshold = 1.5f;
  refused(o, "threshold");
  o = {};
  o.thresholds["maybe"] = 0.5f;
  refused(o, "thresholds");
  o = {};
  o.smoothing = 0;
  refused(o, "smoothing");
  o = {};
  o.refractory_s = -1;
  refused(o, "refractory_s");
}

TEST(KeywordStream, SilentWindowsSkipTheNetworkAndCountAsSilence) {
  TempDir dir;
  const std::vector<float> silence(16000 * 3, 0.0f);
  sdk::KeywordStreamOptions o;
  o.keep_window_scores = true;
  {
    const auto spotter = sdk::KeywordSpotter::load(write_model(dir, {"_silence_", "no", "yes"}));
    auto stream = spotter.create_stream(o);
    const auto windows = stream_scores(stream, silence, 1600);
    ASSERT_FALSE(windows.empty());
    for (const auto& w : windows) EXPECT_EQ(w.scores, (std::vector<float>{1.0f, 0.0f, 0.0f}));
  }
  // With the gate off the network scores the same silence: probabilities that sum to 1 and are not
  // the gate's answer.
  const auto spotter = sdk::KeywordSpotter::load(write_model(dir, {"yes", "no", "stop"}));
  o.silence_gate_db = -200;
  auto stream = spotter.create_stream(o);
  for (const auto& w : stream_scores(stream, silence, 1600)) {
    float sum = 0;
    for (float p : w.scores) sum += p;
    EXPECT_NEAR(sum, 1.0f, 1e-4);
  }
  // A quiet but real sound (-40 dB) passes the default gate.
  o.silence_gate_db = -65;
  auto quiet = spotter.create_stream(o);
  std::vector<float> hum(16000 * 2);
  for (size_t i = 0; i < hum.size(); ++i) hum[i] = 0.014f * std::sin(0.2f * static_cast<float>(i));
  for (const auto& w : stream_scores(quiet, hum, 1600)) {
    float sum = 0;
    for (float p : w.scores) sum += p;
    EXPECT_NEAR(sum, 1.0f, 1e-4);
  }
}
