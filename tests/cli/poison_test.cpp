// No silent poison, end to end through the CLI: audio whose samples are NaN, infinite or absurd,
// weights and model files holding NaN, weights that overflow on an input, training data with NaN
// inputs or impossible labels, a NaN learning rate, and a run that diverges. Each must end with
// exit 1 and one line naming the file (or option) and the first bad position; none may print or
// write NaN as a result with exit 0, and a diverging run must leave its last good checkpoint as it
// was.
#include "models/io/npy.h"
#include "models/io/safetensors.h"
#include "modalities/audio/wav_writer.h"
#include "sdk/backbone_loader.h"
#include <support/test_models.h>
#include <support/test_support.h>

#include <ATen/ATen.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
namespace fs = std::filesystem;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Hostile inputs: bounded memory and time.
unirep::testing::LimitedResult run(const std::vector<std::string>& args) {
  return unirep::testing::run_cli_limited(args, unirep::testing::CliLimits{6ull << 30, 300, ""});
}

// Our "unirep: error: ..." line, or "" when there is none.
std::string error_line(const std::string& s) {
  const auto at = s.find("unirep: error:");
  return at == std::string::npos ? "" : s.substr(at, s.find('\n', at) - at);
}

// Exit 1 with an error line that contains every one of `needles`, and no crash.
::testing::AssertionResult refused(const unirep::testing::LimitedResult& r,
                                   std::initializer_list<std::string> needles) {
  if (r.timed_out) return ::testing::AssertionFailure() << "timed out:\n" << r.output;
  if (r.exit_code != 1) return ::testing::AssertionFailure() << "exit " << r.exit_code << ", expected 1:\n" << r.output;
  const auto line = error_line(r.output);
  for (const auto& n : needles)
    if (line.find(n) == std::string::npos)
      return ::testing::AssertionFailure() << "'" << n << "' not in the error line:\n" << r.output;
  if (r.output.find("terminate called") != std::string::npos)
    return ::testing::AssertionFailure() << "crashed:\n" << r.output;
  return ::testing::AssertionSuccess();
}

void put_u16(std::string& s, uint16_t v) {
  s.append({static_cast<char>(v & 0xff), static_cast<char>(v >> 8)});
}
void put_u32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A mono IEEE-float WAV (32- or 64-bit samples) at 16 kHz: a quiet tone with `bad` at `index`.
template <typename T>
void write_float_wav(const std::string& path, size_t frames, size_t index, T bad) {
  std::vector<T> s(frames);
  for (size_t i = 0; i < frames; ++i) s[i] = static_cast<T>(0.3 * std::sin(0.05 * static_cast<double>(i)));
  s[index] = bad;
  const uint32_t bits = 8 * sizeof(T), bytes = static_cast<uint32_t>(frames * sizeof(T));
  std::string h = "RIFF";
  put_u32(h, 36 + bytes);
  h += "WAVEfmt ";
  put_u32(h, 16);
  put_u16(h, 3);
  put_u16(h, 1);
  put_u32(h, 16000);
  put_u32(h, 16000 * bits / 8);
  put_u16(h, static_cast<uint16_t>(bits / 8));
  put_u16(h, static_cast<uint16_t>(bits));
  h += "data";
  put_u32(h, bytes);
  std::string data(bytes, '\0');
  std::memcpy(data.data(), s.data(), bytes);  // little-endian host
  unirep::testing::write_bytes(path, h + data);
}

// A copy of the safetensors file `from` at `to` with `change` applied to its tensors (metadata kept).
void write_changed(const std::string& from, const std::string& to,
                   const std::function<void(unirep::io::NamedTensors&)>& change) {
  unirep::io::Metadata meta;
  auto tensors = unirep::io::read_safetensors(from, &meta);
  for (auto& nt : tensors) nt.tensor = nt.tensor.clone();
  change(tensors);
  unirep::io::write_safetensors(to, tensors, meta);
}

at::Tensor& tensor_named(unirep::io::NamedTensors& tensors, const std::string& name) {
  for (auto& nt : tensors)
    if (nt.name == name) return nt.tensor;
  throw std::runtime_error("no tensor " + name);
}

}  // namespace

TEST(PoisonCli, AudioWithNaNInfiniteOrAbsurdSamplesIsRefusedNamingTheSample) {
  unirep::testing::TempDir d;
  unirep::testing::write_audio_model(d.file("model.safetensors"));
  write_float_wav<float>(d.file("nan.wav"), 16000, 4000, kNaN);
  write_float_wav<float>(d.file("huge.wav"), 16000, 8001, -3e38f);
  write_float_wav<double>(d.file("f64.wav"), 16000, 12001, 1e300);  // beyond float32
  const std::vector<std::pair<std::string, std::string>> cases = {{"nan.wav", "sample 4000 (0.250 s in) is nan"},
                                                                  {"huge.wav", "sample 8001 (0.500 s in) is -3e+38"},
                                                                  {"f64.wav", "sample 12001 (0.750 s in) is inf"}};
  for (const auto& [file, where] : cases) {
    SCOPED_TRACE(file);
    EXPECT_TRUE(
        refused(run({"preprocess", "audio", d.file(file), "--output-npy", d.file("x.npy")}), {file + ": " + where}));
    EXPECT_FALSE(fs::exists(d.file("x.npy")));
    const auto r = run({"classify-audio", d.file(file), "--model-file", d.file("model.safetensors")});
    EXPECT_TRUE(refused(r, {file + ": " + where, "within [-1000, 1000]"}));
    EXPECT_EQ(r.output.find("nan ("), std::string::npos) << r.output;
  }
  // Headroom above full scale is audio: a clip peaking at 4.0 is classified.
  write_float_wav<float>(d.file("loud.wav"), 16000, 100, 4.0f);
  const auto ok = run({"classify-audio", d.file("loud.wav"), "--model-file", d.file("model.safetensors")});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(ok.output.find("nan"), std::string::npos) << ok.output;
}

TEST(PoisonCli, ARateTheResamplerCannotConvertNamesTheFileAndTheSupportedRates) {
  unirep::testing::TempDir d;
  unirep::testing::write_audio_model(d.file("model.safetensors"));
  unirep::modalities::write_wav(d.file("slow.wav"), std::vector<float>(100, 0.1f), 10);
  const std::string why =
      "slow.wav: cannot resample 10 Hz to 16000 Hz: supported input rates for 16000 Hz are 63 to 4096000 Hz";
  EXPECT_TRUE(refused(run({"classify-audio", d.file("slow.wav"), "--model-file", d.file("model.safetensors")}), {why}));
  EXPECT_TRUE(refused(run({"preprocess", "audio", d.file("slow.wav"), "--output-npy", d.file("x.npy")}), {why}));
}

TEST(PoisonCli, WeightsAndModelFilesWithNaNAreRefusedAtLoadNamingTheTensor) {
  unirep::testing::TempDir d;
  unirep::testing::write_video_backbone(d.file("tiny.json"), d.file("tiny.safetensors"));
  unirep::io::write_npy(d.file("x.npy"), at::rand({1, 3, 32, 32}));
  std::string name;
  write_changed(d.file("tiny.safetensors"), d.file("nan.safetensors"), [&](unirep::io::NamedTensors& t) {
    size_t i = t.size() / 2;
    while (!t[i].tensor.is_floating_point()) ++i;
    name = t[i].name;
    t[i].tensor.view({-1})[0] = kNaN;
  });
  EXPECT_TRUE(refused(run({"infer", "--model", d.file("tiny.json"), "--weights", d.file("nan.safetensors"),
                           "--input-npy", d.file("x.npy"), "--output-npy", d.file("out.npy")}),
                      {"nan.safetensors: tensor '" + name + "' holds 1 NaN or infinite value"}));
  EXPECT_FALSE(fs::exists(d.file("out.npy")));
  // The same weights as a torch.save checkpoint.
  auto weights = unirep::io::read_safetensors(d.file("nan.safetensors"));
  unirep::sdk::write_weights(d.file("nan.pth"), weights);
  EXPECT_TRUE(refused(
      run({"reparam", "--model", d.file("tiny.json"), "--weights", d.file("nan.pth"), "--output", d.file("out.pth")}),
      {"nan.pth: tensor '", "' holds 1 NaN or infinite value"}));
  EXPECT_FALSE(fs::exists(d.file("out.pth")));

  unirep::testing::write_audio_model(d.file("model.safetensors"));
  write_changed(d.file("model.safetensors"), d.file("nan_model.safetensors"), [](unirep::io::NamedTensors& t) {
    tensor_named(t, "mlp_head.1.weight").view({-1})[7] = -std::numeric_limits<float>::infinity();
  });
  write_float_wav<float>(d.file("clip.wav"), 16000, 0, 0.0f);
  EXPECT_TRUE(refused(run({"classify-audio", d.file("clip.wav"), "--model-file", d.file("nan_model.safetensors")}),
                      {"nan_model.safetensors: tensor 'mlp_head.1.weight' holds 1 NaN or infinite value (the first, "
                       "-inf, at index [0, 7])"}));
}

TEST(PoisonCli, AModelWhoseWeightsOverflowGivesAnErrorNotNaNScores) {
  unirep::testing::TempDir d;
  unirep::testing::write_audio_model(d.file("model.safetensors"));
  // Finite weights (they load), whose products overflow float32 for any input.
  write_changed(d.file("model.safetensors"), d.file("overflow.safetensors"), [](unirep::io::NamedTensors& t) {
    tensor_named(t, "mlp_head.1.weight").fill_(3e38);
    tensor_named(t, "mlp_head.0.bias").fill_(10.0);
  });
  write_float_wav<float>(d.file("clip.wav"), 16000, 0, 0.0f);
  const auto r = run({"classify-audio", d.file("clip.wav"), "--model-file", d.file("overflow.safetensors"), "--json"});
  EXPECT_TRUE(refused(r, {"clip.wav: the model gives NaN or infinite scores"}));
  EXPECT_EQ(r.output.find("\"score\""), std::string::npos) << r.output;
}

TEST(PoisonCli, TrainingDataWithNaNInputsOrImpossibleLabelsIsRefusedNamingTheFile) {
  unirep::testing::TempDir d;
  unirep::testing::write_video_backbone(d.file("tiny.json"), d.file("unused.safetensors"));
  auto x = at::rand({16, 3, 32, 32});
  unirep::io::write_npy(d.file("x.npy"), x);
  x[9][2][30][1] = kNaN;
  unirep::io::write_npy(d.file("nan_x.npy"), x);
  auto y = at::randint(0, 2, {16}, at::kLong);
  unirep::io::write_npy(d.file("y.npy"), y);
  y[5] = -1;
  unirep::io::write_npy(d.file("negative_y.npy"), y);
  const auto train = [&](const std::string& inputs, const std::string& labels) {
    return run({"train", "tensors", "--model", d.file("tiny.json"), "--inputs", d.file(inputs), "--labels",
                d.file(labels), "-o", d.file("run"), "--epochs", "1", "--batch-size", "8", "--threads", "1"});
  };
  EXPECT_TRUE(refused(train("nan_x.npy", "y.npy"), {"nan_x.npy: input value at [9, 2, 30, 1] is nan"}));
  EXPECT_TRUE(refused(train("x.npy", "negative_y.npy"), {"negative_y.npy: label -1 at [5] is negative"}));
  EXPECT_FALSE(fs::exists(d.file("run/checkpoint.pth")));
}

TEST(PoisonCli, ANaNLearningRateIsRefused) {
  unirep::testing::TempDir d;
  unirep::testing::write_video_backbone(d.file("tiny.json"), d.file("unused.safetensors"));
  unirep::io::write_npy(d.file("x.npy"), at::rand({16, 3, 32, 32}));
  unirep::io::write_npy(d.file("y.npy"), at::randint(0, 2, {16}, at::kLong));
  const auto r =
      run({"train", "tensors", "--model", d.file("tiny.json"), "--inputs", d.file("x.npy"), "--labels", d.file("y.npy"),
           "-o", d.file("run"), "--epochs", "1", "--batch-size", "8", "--threads", "1", "--lr", "nan"});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("lr"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("train_loss"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(d.file("run/checkpoint.pth")));
}

TEST(PoisonCli, ADivergingRunStopsAtTheFirstNaNLossAndKeepsTheLastGoodCheckpoint) {
  unirep::testing::TempDir d;
  unirep::testing::write_video_backbone(d.file("tiny.json"), d.file("unused.safetensors"));
  unirep::io::write_npy(d.file("x.npy"), at::rand({64, 3, 32, 32}));
  unirep::io::write_npy(d.file("y.npy"), at::randint(0, 2, {64}, at::kLong));
  const auto train = [&](const std::string& epochs, const std::string& lr) {
    return run({"train", "tensors", "--model", d.file("tiny.json"), "--inputs", d.file("x.npy"), "--labels",
                d.file("y.npy"), "-o", d.file("run"), "--epochs", epochs, "--batch-size", "16", "--threads", "1",
                "--lr", lr});
  };
  const auto good = train("1", "1e-3");
  ASSERT_EQ(good.exit_code, 0) << good.output;
  const auto checkpoint = unirep::testing::read_bytes(d.file("run/checkpoint.pth")),
             best = unirep::testing::read_bytes(d.file("run/best_deploy.safetensors"));
  const auto metrics = unirep::testing::read_bytes(d.file("run/metrics.jsonl"));
  // Resumed with an absurd learning rate: the first step throws the weights about 1e6 off, and the
  // next forward overflows float32.
  const auto bad = train("3", "1e6");
  EXPECT_TRUE(
      refused(bad, {"epoch 2 step ", ": loss is ", "; last good checkpoint kept in " + d.file("run/checkpoint.pth")}));
  EXPECT_EQ(unirep::testing::read_bytes(d.file("run/checkpoint.pth")), checkpoint);
  EXPECT_EQ(unirep::testing::read_bytes(d.file("run/best_deploy.safetensors")), best);
  EXPECT_EQ(unirep::testing::read_bytes(d.file("run/metrics.jsonl")), metrics);
  EXPECT_NO_THROW(unirep::sdk::read_weights(d.file("run/checkpoint.pth")));
}

// Weights that load (finite) but overflow for any input: infer, features and classify-points end
// with an error naming the output or the file, and write or print no result.
TEST(PoisonCli, OverflowingWeightsGiveAnErrorNotANaNResult) {
  unirep::testing::TempDir d;
  unirep::testing::write_video_backbone(d.file("tiny.json"), d.file("tiny.safetensors"));
  const auto huge = [](unirep::io::NamedTensors& t) {
    for (auto& nt : t)
      if (nt.tensor.is_floating_point()) nt.tensor.fill_(3e38);
  };
  write_changed(d.file("tiny.safetensors"), d.file("overflow.safetensors"), huge);
  unirep::io::write_npy(d.file("x.npy"), at::rand({1, 3, 32, 32}));
  auto r = run({"infer", "--model", d.file("tiny.json"), "--weights", d.file("overflow.safetensors"), "--input-npy",
                d.file("x.npy"), "-o", d.file("y.npy")});
  EXPECT_TRUE(refused(r, {"y.npy: the model gives", "NaN or infinite values"}));
  EXPECT_FALSE(fs::exists(d.file("y.npy")));
  r = run({"infer", "--model", d.file("tiny.json"), "--weights", d.file("overflow.safetensors"), "--input-npy",
           d.file("x.npy"), "--output", "features", "-o", d.file("f")});
  EXPECT_TRUE(refused(r, {"f.stage0.npy: the model gives"}));
  EXPECT_FALSE(fs::exists(d.file("f.stage0.npy")));

  unirep::testing::write_point_model(d.file("points.safetensors"));
  write_changed(d.file("points.safetensors"), d.file("points_overflow.safetensors"), huge);
  std::string xyz;
  for (int i = 0; i < 64; ++i)
    xyz += std::to_string(std::cos(i)) + " " + std::to_string(std::sin(i)) + " " + std::to_string(i * 0.01) + "\n";
  unirep::testing::write_bytes(d.file("cloud.xyz"), xyz);
  r = run({"classify-points", d.file("cloud.xyz"), "--model-file", d.file("points_overflow.safetensors"), "--json"});
  EXPECT_TRUE(refused(r, {"cloud.xyz: the model gives NaN or infinite scores"}));
  EXPECT_EQ(r.output.find("\"score\""), std::string::npos) << r.output;
}
