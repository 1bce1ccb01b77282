// No silent poison in the audio SDK: buffers with NaN or absurd samples, options that would make
// every input NaN, rates the resampler cannot convert, and weights that overflow on an input are
// all errors naming what is wrong, never NaN scores.
#include "models/io/format_error.h"
#include "modalities/audio/wav_writer.h"
#include "models/backbone/backbone_config.h"
#include "models/backbone/randomize.h"
#include "models/backbone/state_dict.h"
#include "sdk/audio/audio_classifier.h"
#include "sdk/audio/audio_dataset.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <limits>
#include <optional>

#include "support/test_support.h"

using namespace unirep;
using unirep::testing::TempDir;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

unirep::sdk::AudioModelSpec tiny_spec() {
  unirep::sdk::AudioModelSpec spec;
  spec.backbone.depths = {1, 1, 1, 1};
  spec.backbone.dims = {8, 16, 16, 32};
  spec.backbone.kernel_sizes = {{3}, {7}, {3}, {5}};
  spec.backbone.in_chans = 1;
  spec.labels = {"a", "b", "c"};
  return spec;
}

// A classifier straight from a (randomized) task; with `head`, every weight of the head's Linear is
// set to it and its LayerNorm's bias to 10, so the products overflow whatever the input.
unirep::sdk::AudioClassifier classifier(std::optional<float> head = std::nullopt) {
  unirep::sdk::AudioTask task(tiny_spec());
  models::randomize_for_checks(task.model(), 5);
  task.model().eval();
  models::PooledClassifier net(models::PooledClassifierOptions(task.spec().backbone, 3).deploy(true));
  auto state = task.deploy_state();
  for (auto& nt : state)
    if (head && nt.name == "mlp_head.1.weight")
      nt.tensor.fill_(*head);
    else if (head && nt.name == "mlp_head.0.bias")
      nt.tensor.fill_(10.0);
  models::load_state_dict(*net, state);
  return unirep::sdk::AudioClassifier(net, task.spec());
}

std::vector<float> tone() {
  std::vector<float> s(16000);
  for (size_t i = 0; i < s.size(); ++i) s[i] = 0.3f * std::sin(0.05f * static_cast<float>(i));
  return s;
}

template <typename E, typename Fn>
void expect_message(Fn fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "no exception (expected '" << needle << "')";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "'" << needle << "' not in: " << e.what();
  }
}

}  // namespace

TEST(PoisonAudioSdk, SamplesWithNaNOrAbsurdValuesAreRefused) {
  auto clf = classifier();
  auto s = tone();
  s[42] = kNaN;
  expect_message<std::invalid_argument>([&] { clf.classify_samples(s); }, "samples: sample 42 (0.003 s in) is nan");
  s[42] = -5e30f;
  expect_message<std::invalid_argument>([&] { clf.classify_samples(s); }, "samples: sample 42 (0.003 s in) is -5e+30");
  s[42] = 0;
  const auto r = clf.classify_samples(s);
  for (const auto& t : r.top) EXPECT_TRUE(std::isfinite(t.score));
}

TEST(PoisonAudioSdk, ClassifyOptionsOutOfRangeNameTheField) {
  auto clf = classifier();
  unirep::sdk::ClassifyOptions o;
  o.hop_s = std::numeric_limits<double>::quiet_NaN();
  expect_message<std::invalid_argument>([&] { clf.classify_samples(tone(), o); },
                                        "ClassifyOptions.hop_s must be a positive number of seconds, got nan");
  o = {};
  o.batch = 0;
  expect_message<std::invalid_argument>([&] { clf.classify_samples(tone(), o); },
                                        "ClassifyOptions.batch must be at least 1, got 0");
  o = {};
  o.top_k = 0;
  expect_message<std::invalid_argument>([&] { clf.classify_samples(tone(), o); },
                                        "ClassifyOptions.top_k must be at least 1, got 0");
}

TEST(PoisonAudioSdk, WeightsThatOverflowGiveAnErrorNotNaNScores) {
  auto clf = classifier(3e38f);  // finite, so the model loads; the logits overflow
  expect_message<std::runtime_error>([&] { clf.classify_samples(tone()); },
                                     "samples: the model gives NaN or infinite scores");
}

TEST(PoisonAudioSdk, InputOptionsThatMakeEveryInputNaNAreRefused) {
  auto spec = tiny_spec();
  spec.input.norm_std = std::numeric_limits<double>::quiet_NaN();
  expect_message<std::invalid_argument>([&] { unirep::sdk::AudioTask task(spec); },
                                        "AudioInputOptions.norm_std must be positive and finite, got nan");
  spec = tiny_spec();
  spec.input.norm_std = 0;
  expect_message<std::invalid_argument>([&] { unirep::sdk::AudioTask task(spec); },
                                        "AudioInputOptions.norm_std must be positive and finite, got 0");
  spec = tiny_spec();
  spec.input.fbank.frame_opts.frame_shift_ms = std::numeric_limits<float>::infinity();
  expect_message<std::invalid_argument>([&] { modalities::check_audio_input_options(spec.input); },
                                        "AudioInputOptions.fbank.frame_shift_ms must be positive and finite, got inf");
}

TEST(PoisonAudioSdk, ARateTheResamplerCannotConvertNamesTheFileAndTheSupportedRates) {
  TempDir d;
  modalities::write_wav(d.file("slow.wav"), std::vector<float>(100, 0.1f), 10);
  expect_message<io::FormatError>(
      [&] { unirep::sdk::load_waveform(d.file("slow.wav"), 16000); },
      d.file("slow.wav") + ": cannot resample 10 Hz to 16000 Hz: supported input rates for 16000 Hz are 63 to");
  auto clf = classifier();
  expect_message<io::FormatError>([&] { clf.classify_file(d.file("slow.wav")); },
                                  d.file("slow.wav") + ": cannot resample 10 Hz");
}
