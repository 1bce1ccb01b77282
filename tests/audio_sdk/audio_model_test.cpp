// The audio classifier end to end: a model file round trip (train structure -> deploy file ->
// AudioClassifier gives the same probabilities), bad model files, a short training run that learns,
// and the CLI (train audio, evaluate audio, classify-audio, preprocess audio) on real files.
#include "models/io/npy.h"
#include "modalities/audio/audio_file_list.h"
#include "modalities/audio/wav_writer.h"
#include "models/backbone/backbone_config.h"
#include "models/backbone/randomize.h"
#include "sdk/audio/audio_classifier.h"
#include "sdk/audio/audio_dataset.h"
#include "models/io/safetensors.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "support/test_support.h"

using namespace unirep;
using unirep::testing::TempDir;

namespace {

models::BackboneConfig tiny_backbone() {
  models::BackboneConfig c;
  c.depths = {1, 1, 1, 1};
  c.dims = {8, 16, 16, 32};
  c.kernel_sizes = {{3}, {7}, {3}, {5}};
  c.in_chans = 1;
  c.num_classes = 3;
  return c;
}

const char* kTinyJson =
    R"({"depths":[1,1,1,1],"dims":[16,16,32,32],"kernel_sizes":[[3],[7],[3],[5]],"in_chans":1,"num_classes":3})";

// Three sound classes: a low tone, a high tone, and a noise burst, at random times and levels.
void write_tone_dataset(const std::string& dir, int per_class, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const char* names[] = {"low", "high", "burst"};
  for (int c = 0; c < 3; ++c) {
    std::filesystem::create_directories(dir + "/" + names[c]);
    for (int i = 0; i < per_class; ++i) {
      std::vector<float> s(16000);
      const double start = u(rng) * 0.5, len = 0.3 + u(rng) * 0.2, amp = 0.1 + 0.3 * u(rng);
      const double f0 = c == 0 ? 300 + 100 * u(rng) : 2500 + 500 * u(rng);
      for (size_t n = 0; n < s.size(); ++n) {
        const double t = n / 16000.0;
        double v = 0.01 * (u(rng) * 2 - 1);
        if (t >= start && t < start + len) v += c == 2 ? amp * (u(rng) * 2 - 1) : amp * std::sin(2 * M_PI * f0 * t);
        s[n] = static_cast<float>(v);
      }
      unirep::modalities::write_wav(dir + "/" + names[c] + "/" + std::to_string(i) + ".wav", s, 16000);
    }
  }
}

}  // namespace

TEST(AudioModel, DeployFileGivesTheTrainStructuresProbabilities) {
  TempDir d;
  sdk::AudioModelSpec spec;
  spec.backbone = tiny_backbone();
  spec.labels = {"a", "b", "c"};
  sdk::AudioTask task(spec);
  models::randomize_for_checks(task.model(), 3);  // non-trivial BatchNorm statistics etc.
  task.model().eval();
  io::write_safetensors(d.file("m.safetensors"), task.deploy_state(), task.deploy_metadata());

  auto clf = sdk::AudioClassifier::load(d.file("m.safetensors"));
  EXPECT_EQ(clf.labels(), spec.labels);
  EXPECT_FALSE(clf.spec().multi_label);
  EXPECT_EQ(clf.spec().input.target_frames, 128);
  auto x = at::randn({2, 1, 128, 128});
  at::Tensor ref;
  {
    torch::NoGradGuard g;
    ref = task.forward(x).softmax(-1);
  }
  EXPECT_LT(unirep::testing::max_abs_diff(clf.predict(x), ref), 1e-5);
}

TEST(AudioModel, BadModelFilesAreRefusedWithTheFileName) {
  TempDir d;
  std::ofstream(d.file("text.safetensors")) << "hello";
  EXPECT_THROW(sdk::AudioClassifier::load(d.file("text.safetensors")), std::exception);
  // A plain safetensors without unirep metadata.
  io::write_safetensors(d.file("plain.safetensors"), {{"x", at::zeros({2})}});
  try {
    sdk::AudioClassifier::load(d.file("plain.safetensors"));
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("plain.safetensors"), std::string::npos) << e.what();
  }
}

// `unirep train audio` learns three sound classes from real files, exports one model file, and the
// other audio commands use it.
TEST(AudioCli, TrainEvaluateClassifyPreprocess) {
  TempDir d;
  write_tone_dataset(d.file("data"), 24, 1);
  write_tone_dataset(d.file("test"), 8, 2);
  std::ofstream(d.file("tiny.json")) << kTinyJson;
  auto r = unirep::testing::run_cli({"train",
                                     "audio",
                                     "--model",
                                     d.file("tiny.json"),
                                     "--data",
                                     d.file("data"),
                                     "--val-data",
                                     d.file("test"),
                                     "-o",
                                     d.file("run"),
                                     "--epochs",
                                     "8",
                                     "--batch-size",
                                     "8",
                                     "--lr",
                                     "1e-2",
                                     "--warmup-epochs",
                                     "0",
                                     "--no-augment",
                                     "--threads",
                                     "2",
                                     "--workers",
                                     "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string model = d.file("run/best_deploy.safetensors");
  ASSERT_TRUE(unirep::testing::file_exists(model)) << r.output;

  auto e = unirep::testing::run_cli(
      {"evaluate", "audio", "--model-file", model, "--data", d.file("test"), "--split", "all"});
  ASSERT_EQ(e.exit_code, 0) << e.output;
  const auto pos = e.output.find("top1 ");
  ASSERT_NE(pos, std::string::npos) << e.output;
  EXPECT_GE(std::stod(e.output.substr(pos + 5)), 90.0) << e.output;
  EXPECT_NE(e.output.find("class_top1/high "), std::string::npos) << e.output;
  EXPECT_EQ(e.output.find("speaker_top1/"), std::string::npos) << "no speakers unless asked: " << e.output;

  // Per speaker (here: the first digit of the file name, 3 clips each) and the JSON report.
  auto g = unirep::testing::run_cli({"evaluate", "audio", "--model-file", model, "--data", d.file("test"), "--split",
                                     "all", "--speaker-pattern", "^([0-9])", "--report", d.file("report.json")});
  ASSERT_EQ(g.exit_code, 0) << g.output;
  EXPECT_NE(g.output.find("speaker_top1/7 "), std::string::npos) << g.output;
  std::ifstream report_file(d.file("report.json"));
  const auto report = nlohmann::json::parse(report_file);
  EXPECT_EQ(report.at("examples").get<int>(), 24);
  EXPECT_EQ(report.at("groups").size(), 8u);
  int in_groups = 0, in_matrix = 0;
  for (const auto& [name, rate] : report.at("groups").items()) in_groups += rate.at("total").get<int>();
  for (const auto& row : report.at("confusion"))
    for (const auto& cell : row) in_matrix += cell.get<int>();
  EXPECT_EQ(in_groups, 24);
  EXPECT_EQ(in_matrix, 24);
  EXPECT_DOUBLE_EQ(report.at("top1").get<double>(), std::stod(e.output.substr(pos + 5)));

  // A pattern that cannot name a speaker is refused before any work, and no report is written.
  for (const std::string bad : {"([0-9]", "^[0-9]"}) {
    auto b = unirep::testing::run_cli({"evaluate", "audio", "--model-file", model, "--data", d.file("test"),
                                       "--speaker-pattern", bad, "--report", d.file("bad.json")});
    EXPECT_NE(b.exit_code, 0) << b.output;
    EXPECT_NE(b.output.find("--speaker-pattern"), std::string::npos) << b.output;
    EXPECT_FALSE(unirep::testing::file_exists(d.file("bad.json")));
  }

  auto c = unirep::testing::run_cli(
      {"classify-audio", "--model-file", model, "--json", d.file("test/high/0.wav"), d.file("test/low/1.wav")});
  ASSERT_EQ(c.exit_code, 0) << c.output;
  EXPECT_NE(c.output.find(R"("top":[{"label":"high")"), std::string::npos) << c.output;
  EXPECT_NE(c.output.find(R"("top":[{"label":"low")"), std::string::npos) << c.output;

  // A long recording gets a timeline.
  std::vector<float> longer;
  for (int k = 0; k < 4; ++k) {
    auto s = sdk::load_waveform(d.file(k % 2 ? "test/high/2.wav" : "test/low/2.wav"), 16000);
    longer.insert(longer.end(), s.begin(), s.end());
  }
  unirep::modalities::write_wav(d.file("long.wav"), longer, 16000);
  auto l = unirep::testing::run_cli({"classify-audio", "--model-file", model, "--json", d.file("long.wav")});
  ASSERT_EQ(l.exit_code, 0) << l.output;
  EXPECT_NE(l.output.find("\"segments\""), std::string::npos) << l.output;

  // Preprocess: the backbone input and the raw log-mel.
  auto p =
      unirep::testing::run_cli({"preprocess", "audio", d.file("test/low/0.wav"), "--output-npy", d.file("in.npy")});
  ASSERT_EQ(p.exit_code, 0) << p.output;
  EXPECT_EQ(io::read_npy(d.file("in.npy")).sizes(), (at::IntArrayRef{1, 128, 128}));
  auto q = unirep::testing::run_cli(
      {"preprocess", "audio", d.file("test/low/0.wav"), "--raw-fbank", "--output-npy", d.file("fb.npy")});
  ASSERT_EQ(q.exit_code, 0) << q.output;
  EXPECT_EQ(io::read_npy(d.file("fb.npy")).sizes(), (at::IntArrayRef{98, 128}));

  // Bad input: a text file named .wav; no output is left behind.
  std::ofstream(d.file("fake.wav")) << "this is not audio\n";
  auto b = unirep::testing::run_cli({"preprocess", "audio", d.file("fake.wav"), "--output-npy", d.file("fake.npy")});
  EXPECT_NE(b.exit_code, 0);
  EXPECT_NE(b.output.find("fake.wav"), std::string::npos) << b.output;
  EXPECT_FALSE(unirep::testing::file_exists(d.file("fake.npy")));
  auto bc = unirep::testing::run_cli({"classify-audio", "--model-file", model, d.file("fake.wav")});
  EXPECT_NE(bc.exit_code, 0);
  EXPECT_NE(bc.output.find("fake.wav"), std::string::npos) << bc.output;
}
