// The Kaldi filterbank and the backbone input against the reference fixtures (the official
// pipeline's torchaudio output) and against torchaudio itself on settings the fixtures do not cover.
#include "models/io/npy.h"
#include "modalities/audio/audio_input.h"
#include "modalities/audio/decode.h"
#include "modalities/audio/fbank.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "support/test_support.h"

using namespace unirep;
namespace {

struct Diff {
  double mean = 0, max = 0;
};
Diff diff(const at::Tensor& a, const at::Tensor& b) {
  auto d = (a.to(at::kDouble) - b.to(at::kDouble)).abs();
  return {d.mean().item<double>(), d.max().item<double>()};
}

}  // namespace

// Fixtures README: fbank mean |ours - ref| <= 1e-3, max <= 5e-2; input the same divided by 11.13.
TEST(KaldiFbank, MatchesTheReferenceFixtures) {
  UNIREP_REQUIRE_FIXTURES();
  for (const std::string name : {"chirp_16k", "yes_16k"}) {
    auto wav = unirep::modalities::decode_audio(unirep::testing::fixture("audio/" + name + ".wav"));
    ASSERT_EQ(wav.sample_rate, 16000);
    auto ref_fbank = io::read_npy(unirep::testing::fixture("audio/" + name + ".fbank.npy"));
    auto ref_input = io::read_npy(unirep::testing::fixture("audio/" + name + ".input.npy"));
    auto fbank = unirep::modalities::waveform_to_fbank(wav.samples);
    ASSERT_EQ(fbank.sizes(), ref_fbank.sizes()) << name;
    const auto f = diff(fbank, ref_fbank);
    auto input = unirep::modalities::waveform_to_input(wav.samples);
    ASSERT_EQ(input.numel(), ref_input.numel()) << name;
    const auto i = diff(input.reshape(ref_input.sizes()), ref_input);
    std::cout << name << ": fbank mean " << f.mean << " max " << f.max << "; input mean " << i.mean << " max " << i.max
              << "\n";
    RecordProperty(name + "_fbank_max", std::to_string(f.max));
    EXPECT_LE(f.mean, 1e-3) << name;
    EXPECT_LE(f.max, 5e-2) << name;
    EXPECT_LE(i.mean, 1e-3 / 11.13) << name;
    EXPECT_LE(i.max, 5e-2 / 11.13) << name;
  }
}

TEST(KaldiFbank, FrameCountsAndEdgeCases) {
  unirep::modalities::Fbank fb;
  EXPECT_EQ(fb.window_size(), 400);
  EXPECT_EQ(fb.window_shift(), 160);
  EXPECT_EQ(fb.num_frames(16000), 98);
  EXPECT_EQ(fb.num_frames(399), 0);
  EXPECT_EQ(fb.num_frames(400), 1);
  std::vector<float> silence(400, 0.0f);
  auto one = fb.compute(silence.data(), 400);
  ASSERT_EQ(one.sizes(), (at::IntArrayRef{1, 128}));
  EXPECT_NEAR(one.max().item<float>(), std::log(1.1920929e-7f), 1e-5);  // log of the float epsilon floor
  EXPECT_EQ(fb.compute(silence.data(), 100).size(0), 0);
  unirep::modalities::FbankOptions bad;
  bad.frame_opts.window_type = "triangle";
  EXPECT_THROW(unirep::modalities::Fbank{bad}, std::invalid_argument);
  // Backbone input: short clips pad with 0.0 (normalized), long ones are cut.
  auto input = unirep::modalities::fbank_to_input(at::zeros({10, 128}));
  EXPECT_EQ(input.sizes(), (at::IntArrayRef{1, 128, 128}));
  EXPECT_NEAR(input[0][0][127].item<float>(), 6.845978 / (2 * 5.5654526), 1e-6);
  EXPECT_EQ(unirep::modalities::fbank_to_input(at::zeros({300, 128})).size(2), 128);
}

TEST(KaldiFbank, OptionsRoundTripThroughJsonAndRejectUnknownKeys) {
  unirep::modalities::AudioInputOptions o;
  o.target_frames = 100;
  o.fbank.frame_opts.window_type = "povey";
  o.fbank.mel_opts.num_bins = 80;
  auto back = unirep::modalities::audio_input_options_from_json(unirep::modalities::to_json(o));
  EXPECT_EQ(unirep::modalities::to_json(back), unirep::modalities::to_json(o));
  EXPECT_THROW(unirep::modalities::audio_input_options_from_json(R"({"target_frame": 3})"), std::invalid_argument);
  EXPECT_THROW(unirep::modalities::audio_input_options_from_json(R"({"fbank": {"num_mel_bin": 3}})"),
               std::invalid_argument);
}

// Other settings against torchaudio.compliance.kaldi.fbank itself (skipped without torchaudio).
TEST(KaldiFbank, MatchesTorchaudioOnOtherSettings) {
  if (std::system("/usr/bin/python3 -c 'import torchaudio' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 with torchaudio is not installed";
  unirep::testing::TempDir d;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  auto wave = (at::rand({12345}, gen) * 2 - 1) * 0.5;
  io::write_npy(d.file("wave.npy"), wave);
  struct Case {
    const char* name;
    const char* py;  // keyword arguments for torchaudio
    unirep::modalities::FbankOptions o;
  };
  std::vector<Case> cases;
  auto add = [&](const char* name, const char* py, auto edit) {
    unirep::modalities::FbankOptions o;
    edit(o);
    cases.push_back({name, py, o});
  };
  add("hamming_40", "window_type='hamming', num_mel_bins=40", [](auto& o) {
    o.frame_opts.window_type = "hamming";
    o.mel_opts.num_bins = 40;
  });
  add("povey_noedges", "window_type='povey', snip_edges=False", [](auto& o) {
    o.frame_opts.window_type = "povey";
    o.frame_opts.snip_edges = false;
  });
  add("rect_8k_80", "window_type='rectangular', sample_frequency=8000, num_mel_bins=80", [](auto& o) {
    o.frame_opts.window_type = "rectangular";
    o.frame_opts.samp_freq = 8000;
    o.mel_opts.num_bins = 80;
  });
  add("blackman_energy", "window_type='blackman', use_energy=True", [](auto& o) {
    o.frame_opts.window_type = "blackman";
    o.use_energy = true;
  });
  add("energy_first_mag", "use_energy=True, htk_compat=False, use_power=False", [](auto& o) {
    o.use_energy = true;
    o.htk_compat = false;
    o.use_power = false;
  });
  add("mean_sub", "subtract_mean=True, low_freq=100, high_freq=-400", [](auto& o) {
    o.subtract_mean = true;
    o.mel_opts.low_freq = 100;
    o.mel_opts.high_freq = -400;
  });
  std::ofstream py(d.file("ref.py"));
  py << "import numpy as np, torch, torchaudio\n"
     << "w = torch.from_numpy(np.load('" << d.file("wave.npy") << "')).float().unsqueeze(0)\n";
  // Our defaults (the official pipeline's) where torchaudio's differ, then the case's own settings.
  py << "def ref(**kw):\n"
     << "    a = dict(sample_frequency=16000, window_type='hanning', htk_compat=True, num_mel_bins=128, dither=0.0)\n"
     << "    a.update(kw)\n"
     << "    return torchaudio.compliance.kaldi.fbank(w, **a).numpy()\n";
  for (const auto& c : cases) py << "np.save('" << d.file(std::string(c.name) + ".npy") << "', ref(" << c.py << "))\n";
  py.close();
  ASSERT_EQ(std::system(("/usr/bin/python3 " + d.file("ref.py")).c_str()), 0);
  for (const auto& c : cases) {
    auto ref = io::read_npy(d.file(std::string(c.name) + ".npy"));
    auto ours = unirep::modalities::Fbank(c.o).compute(wave.data_ptr<float>(), wave.numel());
    ASSERT_EQ(ours.sizes(), ref.sizes()) << c.name;
    const auto dd = diff(ours, ref);
    EXPECT_LE(dd.mean, 1e-3) << c.name;
    EXPECT_LE(dd.max, 5e-2 * std::max(1.0, ref.abs().max().item<double>() / 20)) << c.name;
  }
}
