// The audio task's parts that need no trained model: file lists and splits, sliding windows,
// augmentation, the dataset's determinism.
#include "modalities/audio/audio_file_list.h"
#include "modalities/audio/audio_input.h"
#include "modalities/audio/augment.h"
#include "modalities/audio/sliding_windows.h"
#include "modalities/audio/wav_writer.h"
#include "sdk/audio/audio_dataset.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "support/test_support.h"

using namespace unirep;
using unirep::testing::TempDir;

namespace {

std::vector<float> tone(double hz, double seconds, int rate = 16000, double amp = 0.3) {
  std::vector<float> s(static_cast<size_t>(seconds * rate));
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<float>(amp * std::sin(2 * M_PI * hz * i / rate));
  return s;
}

void touch_wav(const std::string& path, double hz = 440) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  unirep::modalities::write_wav(path, tone(hz, 0.5), 16000);
}

}  // namespace

TEST(AudioFileList, ClassFoldersHonourSpeechCommandsSplitLists) {
  TempDir d;
  for (const char* f : {"yes/a.wav", "yes/b.wav", "yes/c.wav", "no/a.wav", "no/b.wav", "_background_noise_/n.wav",
                        "_unknown_/u.wav", ".hidden/h.wav"})
    touch_wav(d.file(f));
  std::ofstream(d.file("yes/readme.txt")) << "not audio";
  std::ofstream(d.file("validation_list.txt")) << "yes/b.wav\n";
  std::ofstream(d.file("testing_list.txt")) << "no/b.wav\nyes/c.wav\n";
  auto list = unirep::modalities::list_class_folders(d.path());
  // Sorted; _unknown_ is a class, _background_noise_ and hidden folders are not.
  EXPECT_EQ(list.labels, (std::vector<std::string>{"_unknown_", "no", "yes"}));
  ASSERT_EQ(list.train.size(), 3u);
  ASSERT_EQ(list.validation.size(), 1u);
  ASSERT_EQ(list.test.size(), 2u);
  EXPECT_NE(list.validation[0].path.find("yes/b.wav"), std::string::npos);
  EXPECT_EQ(list.validation[0].labels, std::vector<int>{2});
  EXPECT_FALSE(list.multi_label);
}

TEST(AudioFileList, CsvWithHeaderRelativePathsAndMultiLabel) {
  TempDir d;
  touch_wav(d.file("clips/1.wav"));
  touch_wav(d.file("clips/2.wav"));
  std::ofstream(d.file("list.csv")) << "path,label\nclips/1.wav,dog\nclips/2.wav,cat;dog\n";
  auto list = unirep::modalities::list_audio_dataset(d.file("list.csv"));
  EXPECT_EQ(list.labels, (std::vector<std::string>{"dog", "cat"}));
  ASSERT_EQ(list.train.size(), 2u);
  EXPECT_EQ(list.train[0].path, d.file("clips/1.wav"));
  EXPECT_EQ(list.train[1].labels, (std::vector<int>{1, 0}));
  EXPECT_TRUE(list.multi_label);
}

TEST(AudioFileList, BadInputIsNamed) {
  TempDir d;
  EXPECT_THROW(unirep::modalities::list_audio_dataset(d.file("missing")), std::runtime_error);
  std::filesystem::create_directories(d.file("empty"));
  try {
    unirep::modalities::list_class_folders(d.file("empty"));
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(d.file("empty")), std::string::npos);
  }
  std::ofstream(d.file("bad.csv")) << "just-a-path-no-label\n";
  try {
    unirep::modalities::read_label_csv(d.file("bad.csv"));
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv:1"), std::string::npos) << e.what();
  }
  std::ofstream(d.file("other.csv")) << "a.wav,bird\n";
  EXPECT_THROW(unirep::modalities::read_label_csv(d.file("other.csv"), {"dog", "cat"}), std::runtime_error);
}

TEST(SlidingWindows, CoverTheRecordingInBoundedMemoryWhateverTheBlocks) {
  std::vector<float> x(10000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
  auto collect = [&](int block) {
    std::vector<std::pair<int64_t, std::vector<float>>> out;
    unirep::modalities::SlidingWindows w(3000, 1000,
                                         [&](int64_t s, const std::vector<float>& v) { out.emplace_back(s, v); });
    for (size_t i = 0; i < x.size(); i += block) w.push(x.data() + i, std::min<int64_t>(block, x.size() - i));
    w.finish();
    return out;
  };
  auto a = collect(10000), b = collect(77);
  ASSERT_EQ(a.size(), b.size());
  // Starts 0, 1000, ..., 7000, then the end-aligned 7000 is already covered: 8 windows.
  ASSERT_EQ(a.size(), 8u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_EQ(a[i].second, b[i].second);
    ASSERT_EQ(a[i].second.size(), 3000u);
    EXPECT_EQ(a[i].second.front(), static_cast<float>(a[i].first));
  }
  // A length that does not fall on the hop gets an end-aligned last window.
  std::vector<std::pair<int64_t, size_t>> c;
  unirep::modalities::SlidingWindows w(3000, 1000,
                                       [&](int64_t s, const std::vector<float>& v) { c.emplace_back(s, v.size()); });
  w.push(x.data(), 9500);
  w.finish();
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c.back().first, 6500);
  // Shorter than one window: one short window.
  std::vector<size_t> d;
  unirep::modalities::SlidingWindows s(3000, 1000,
                                       [&](int64_t, const std::vector<float>& v) { d.push_back(v.size()); });
  s.push(x.data(), 1234);
  s.finish();
  EXPECT_EQ(d, std::vector<size_t>{1234});
}

TEST(AudioAugment, MasksNoiseRollAndMixupFollowTheRecipe) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    auto x = at::ones({1, 128, 128});
    unirep::modalities::spec_augment(x, 48, 48, -7.0f, rng);
    auto masked_rows = (x.select(0, 0) == -7.0f).all(1).sum().item<int64_t>();
    auto masked_cols = (x.select(0, 0) == -7.0f).all(0).sum().item<int64_t>();
    EXPECT_LT(masked_rows, 48);
    EXPECT_LT(masked_cols, 48);
  }
  auto y = at::zeros({1, 4, 100});
  unirep::modalities::add_noise_and_roll(y, 10, rng);
  EXPECT_GE(y.min().item<float>(), 0.0f);
  EXPECT_LT(y.max().item<float>(), 0.1f);
  // Same seed, same augmentation.
  std::mt19937_64 r1(9), r2(9);
  auto a = at::ones({1, 8, 16}), b = at::ones({1, 8, 16});
  unirep::modalities::add_noise_and_roll(a, 10, r1);
  unirep::modalities::add_noise_and_roll(b, 10, r2);
  EXPECT_TRUE(a.equal(b));
  // Mixup: lambda in (0, 1) around 0.5 for Beta(10, 10); mixed waveform has zero mean.
  double sum = 0;
  for (int i = 0; i < 200; ++i) sum += unirep::modalities::sample_mixup_lambda(10.0, rng);
  EXPECT_NEAR(sum / 200, 0.5, 0.05);
  std::vector<float> p(100, 1.0f), q(50, 3.0f);
  auto m = unirep::modalities::mix_waveforms(p, q, 0.25);
  ASSERT_EQ(m.size(), 100u);
  double mean = 0;
  for (float v : m) mean += v;
  EXPECT_NEAR(mean / 100, 0.0, 1e-6);
  EXPECT_NEAR(m[0] - m[99], 0.75 * 3.0, 1e-5);  // first half has 0.25*1 + 0.75*3, second half 0.25*1
}

TEST(AudioAugment, RandomEqualizationIsSmoothBoundedAndSkipsThePadding) {
  // A 0.5 s clip: its backbone input has real frames, then padding columns.
  std::vector<float> wave(8000);
  for (size_t i = 0; i < wave.size(); ++i)
    wave[i] = 0.3f * std::sin(0.05f * static_cast<float>(i)) + 0.01f * std::sin(1.3f * i);
  unirep::modalities::AudioInputOptions in;
  const auto clean = unirep::modalities::waveform_to_input(wave, in);
  const float fill = static_cast<float>((0.0 - in.norm_mean) / (2.0 * in.norm_std));  // as AudioDataset computes it
  const auto pad_columns = (clean.select(0, 0) == fill).all(0);
  ASSERT_GT(pad_columns.sum().item<int64_t>(), 20);  // 0.5 s = ~48 frames of 128
  std::mt19937_64 rng(3);
  bool changed = false;
  for (int trial = 0; trial < 10; ++trial) {
    auto x = clean.clone();
    unirep::modalities::random_equalization(x, 12.0, in.norm_std, fill, rng);
    auto gain = (x - clean).select(0, 0);  // F x T
    // The padding is untouched; every real frame gets the same curve.
    EXPECT_EQ(gain.index({at::indexing::Slice(), pad_columns}).abs().max().item<float>(), 0.0f);
    auto real = gain.index({at::indexing::Slice(), pad_columns.logical_not()});
    EXPECT_LT((real - real.select(1, 0).unsqueeze(1)).abs().max().item<float>(), 1e-5f);
    // At most 12 dB of power: 12 / 10 * ln(10) nats, over the input's 2 * std scale.
    const double bound = 12.0 / 10.0 * std::log(10.0) / (2.0 * in.norm_std);
    EXPECT_LE(real.abs().max().item<double>(), bound + 1e-5);
    // Smooth: neighbouring mel bins differ by a small part of the bound.
    auto curve = real.select(1, 0);
    EXPECT_LT((curve.slice(0, 1) - curve.slice(0, 0, -1)).abs().max().item<double>(), bound / 10);
    changed = changed || real.abs().max().item<double>() > bound / 20;
  }
  EXPECT_TRUE(changed);
  // Off is off; the same seed gives the same curve.
  auto y = clean.clone();
  unirep::modalities::random_equalization(y, 0.0, in.norm_std, fill, rng);
  EXPECT_TRUE(y.equal(clean));
  std::mt19937_64 r1(4), r2(4);
  auto a = clean.clone(), b = clean.clone();
  unirep::modalities::random_equalization(a, 6.0, in.norm_std, fill, r1);
  unirep::modalities::random_equalization(b, 6.0, in.norm_std, fill, r2);
  EXPECT_TRUE(a.equal(b));
}

TEST(AudioDataset, TargetsAndDeterminism) {
  TempDir d;
  touch_wav(d.file("a/1.wav"), 300);
  touch_wav(d.file("b/1.wav"), 3000);
  touch_wav(d.file("b/2.wav"), 2000);
  auto list = unirep::modalities::list_class_folders(d.path());
  unirep::modalities::AudioInputOptions in;
  sdk::AudioDataset eval(list.train, 2, in);
  auto e = eval.get(0);
  EXPECT_EQ(e.input.sizes(), (at::IntArrayRef{1, 128, 128}));
  EXPECT_TRUE(e.target.equal(at::tensor({1.0f, 0.0f})));
  EXPECT_TRUE(eval.get(0).input.equal(e.input));  // evaluation is deterministic

  unirep::modalities::AudioAugmentOptions aug;
  aug.mixup = 1.0;  // always mix
  sdk::AudioDataset t1(list.train, 2, in, aug, 42), t2(list.train, 2, in, aug, 42);
  for (size_t i = 0; i < 3; ++i) {
    auto x = t1.get(i), y = t2.get(i);
    EXPECT_TRUE(x.input.equal(y.input));
    EXPECT_NEAR(x.target.sum().item<float>(), 1.0f, 1e-5);
  }
  // A second read of the same index (next epoch) draws new augmentation.
  EXPECT_FALSE(t1.get(1).input.equal(t1.get(1).input));
}

// --bg-noise: every read mixes a fresh noise under the clip; the inputs change from read to read
// and the quieter the SNR asked for, the further the input moves from the clean one.
TEST(AudioDataset, BackgroundNoiseOnEveryRead) {
  TempDir d;
  touch_wav(d.file("a/1.wav"), 500);
  auto list = unirep::modalities::list_class_folders(d.path());
  unirep::modalities::AudioInputOptions in;
  const auto clean = sdk::AudioDataset(list.train, 1, in).get(0).input;
  unirep::modalities::AudioAugmentOptions aug;
  aug.freq_mask = aug.time_mask = 0;
  aug.noise = false;
  aug.mixup = 0;
  auto distance_at = [&](double snr_db) {
    aug.bg_noise = 1.0;
    aug.bg_noise_min_snr_db = aug.bg_noise_max_snr_db = snr_db;
    sdk::AudioDataset ds(list.train, 1, in, aug, 5);
    const auto first = ds.get(0).input, second = ds.get(0).input;
    EXPECT_FALSE(first.equal(second)) << "a new noise every read";
    return (first - clean).abs().mean().item<double>();
  };
  const double loud = distance_at(0), quiet = distance_at(40);
  EXPECT_GT(loud, 3 * quiet);
  EXPECT_GT(quiet, 0.0);

  aug.bg_noise = 0.0;  // off: the clean input
  EXPECT_TRUE(sdk::AudioDataset(list.train, 1, in, aug, 5).get(0).input.equal(clean));

  aug.bg_noise = 1.0;
  aug.bg_noise_min_snr_db = 20;
  aug.bg_noise_max_snr_db = 10;
  EXPECT_THROW(sdk::AudioDataset(list.train, 1, in, aug, 5), std::invalid_argument);
}
