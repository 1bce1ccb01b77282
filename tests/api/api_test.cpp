// The app-facing C++ API (libunirep.so): each task object gives what the internal SDK gives for the
// same model file and input, errors come as unirep::Error with the right code and the file named,
// and one loaded model serves concurrent calls with the single-threaded answers.
#include <unirep/api/tensors.h>
#include <unirep/unirep.hpp>

#include <support/test_models.h>

#include "models/fast/precision.h"
#include "modalities/audio/resample.h"
#include "modalities/audio/wav_writer.h"
#include "modalities/image/image_transform.h"
#include "sdk/audio/audio_classifier.h"
#include "sdk/image/image_classifier.h"
#include "sdk/points/point_model.h"
#include "modalities/timeseries/series_csv.h"
#include "sdk/timeseries/forecast_predict.h"
#include "sdk/video/video_classifier.h"
#include <support/test_support.h>

#include <ATen/ATen.h>

#include <cmath>
#include <fstream>
#include <random>
#include <thread>
namespace {

std::vector<float> test_tone(int seconds_x10, int rate, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.f, 0.05f);
  std::vector<float> s(static_cast<size_t>(seconds_x10) * rate / 10);
  for (size_t i = 0; i < s.size(); ++i) s[i] = 0.3f * std::sin(2 * M_PI * (300.0 + 100 * seed) * i / rate) + noise(rng);
  return s;
}

template <class F>
unirep::StatusCode code_of(F&& f) {
  try {
    f();
  } catch (const unirep::Error& e) {
    return e.code();
  }
  return unirep::StatusCode::kOk;
}

template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const unirep::Error& e) {
    return e.what();
  }
  return "";
}

void expect_same_scores(const std::vector<unirep::LabelScore>& a, const std::vector<unirep::LabelScore>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].index, b[i].index) << i;
    EXPECT_EQ(a[i].label, b[i].label) << i;
    EXPECT_FLOAT_EQ(a[i].score, b[i].score) << i;
  }
}

}  // namespace

TEST(Api, VersionMatchesTheHeaders) {
  int major = -1, minor = -1, patch = -1;
  unirep_version(&major, &minor, &patch);
  EXPECT_EQ(major, UNIREP_VERSION_MAJOR);
  EXPECT_EQ(minor, UNIREP_VERSION_MINOR);
  EXPECT_EQ(patch, UNIREP_VERSION_PATCH);
  EXPECT_STREQ(unirep_version_string(), UNIREP_VERSION_STRING);
}

TEST(Api, AudioClassifierMatchesTheSdk) {
  unirep::testing::TempDir d;
  const auto labels = unirep::testing::write_audio_model(d.file("m.safetensors"));
  unirep::AudioClassifier clf(d.file("m.safetensors"), {1, "cpu", 4});
  EXPECT_EQ(clf.labels(), labels);
  EXPECT_EQ(clf.sample_rate(), 16000);
  EXPECT_FALSE(clf.multi_label());

  auto internal = unirep::sdk::AudioClassifier::load(d.file("m.safetensors"));
  const auto tone = test_tone(30, 16000, 1);  // 3 s: several windows
  const auto api = clf.classify_samples(tone.data(), tone.size(), 1, 16000, 3);
  const auto ref = internal.classify_samples(tone, {3, 0.5, 8});
  ASSERT_EQ(api.top.size(), 3u);
  for (size_t i = 0; i < api.top.size(); ++i) {
    EXPECT_EQ(api.top[i].index, ref.top[i].index);
    EXPECT_NEAR(api.top[i].score, ref.top[i].score, 1e-6);
  }
  EXPECT_EQ(api.segments.size(), ref.segments.size());
  EXPECT_NEAR(api.duration_s, 3.0, 1e-9);

  // A file gives what its samples give.
  unirep::modalities::write_wav(d.file("tone.wav"), tone, 16000);
  const auto from_file = clf.classify_file(d.file("tone.wav"), 3);
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(from_file.top[i].score, api.top[i].score, 1e-4);

  // Interleaved stereo at 48 kHz: averaged, then resampled, as documented.
  const auto left = test_tone(15, 48000, 2), right = test_tone(15, 48000, 3);
  std::vector<float> stereo, mono;
  for (size_t i = 0; i < left.size(); ++i) {
    stereo.push_back(left[i]);
    stereo.push_back(right[i]);
    mono.push_back(static_cast<float>((static_cast<double>(left[i]) + right[i]) / 2));
  }
  const auto s = clf.classify_samples(stereo.data(), left.size(), 2, 48000, 3);
  const auto m = internal.classify_samples(unirep::modalities::resample(mono, 48000, 16000), {3, 0.5, 8});
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(s.top[i].score, m.top[i].score, 1e-5);
}

TEST(Api, ErrorsCarryCodesAndNameTheFile) {
  unirep::testing::TempDir d;
  unirep::testing::write_audio_model(d.file("audio.safetensors"));
  unirep::testing::write_image_model(d.file("image.safetensors"));
  unirep::testing::write_mismatched_audio_model(d.file("mismatch.safetensors"));
  std::ofstream(d.file("text.safetensors")) << "this is not a model\n";
  using unirep::StatusCode;

  EXPECT_EQ(code_of([&] { unirep::AudioClassifier(d.file("missing.safetensors")); }), StatusCode::kFileNotFound);
  EXPECT_NE(message_of([&] { unirep::AudioClassifier(d.file("missing.safetensors")); }).find("missing.safetensors"),
            std::string::npos);
  EXPECT_EQ(code_of([&] { unirep::AudioClassifier(d.path()); }), StatusCode::kFileNotFound);
  EXPECT_EQ(code_of([&] { unirep::AudioClassifier(d.file("text.safetensors")); }), StatusCode::kBadFile);
  EXPECT_NE(message_of([&] { unirep::AudioClassifier(d.file("text.safetensors")); }).find("text.safetensors"),
            std::string::npos);
  EXPECT_EQ(code_of([&] { unirep::AudioClassifier(d.file("image.safetensors")); }),
            StatusCode::kBadFile);  // wrong kind
  EXPECT_EQ(code_of([&] { unirep::AudioClassifier(d.file("mismatch.safetensors")); }), StatusCode::kModelMismatch);
  EXPECT_EQ(code_of([&] {
              unirep::AudioClassifier(d.file("audio.safetensors"), {0, "cuda", 8});
            }),
            StatusCode::kUnsupported);
  EXPECT_EQ(code_of([&] {
              unirep::AudioClassifier(d.file("audio.safetensors"), {0, "tpu", 8});
            }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] {
              unirep::AudioClassifier(d.file("audio.safetensors"), {-1, "cpu", 8});
            }),
            StatusCode::kInvalidArgument);

  unirep::AudioClassifier clf(d.file("audio.safetensors"));
  const std::vector<float> nan_samples(16000, std::nanf(""));
  EXPECT_EQ(code_of([&] { clf.classify_samples(nan_samples.data(), nan_samples.size(), 1, 16000); }),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { clf.classify_samples(nullptr, 10, 1, 16000); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { clf.classify_samples(nan_samples.data(), 0, 1, 16000); }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { clf.classify_file(d.file("text.safetensors")); }), StatusCode::kBadFile);
  EXPECT_EQ(code_of([&] { clf.classify_file(d.file("nothing.wav")); }), StatusCode::kFileNotFound);
  EXPECT_EQ(code_of([&] { clf.classify_file(d.file("text.safetensors"), 0); }), StatusCode::kInvalidArgument);
  EXPECT_STREQ(unirep::status_name(StatusCode::kModelMismatch), "model mismatch");
}

TEST(Api, ImageClassifierMatchesTheSdk) {
  unirep::testing::TempDir d;
  const auto labels = unirep::testing::write_image_model(d.file("m.safetensors"));
  unirep::ImageClassifier clf(d.file("m.safetensors"), {1, "cpu", 8});
  EXPECT_EQ(clf.labels(), labels);
  EXPECT_EQ(clf.input_size(), 64);

  // A 90 x 70 gradient image, as a PNG file and as pixels with padded rows.
  const int w = 90, h = 70, stride = w * 3 + 5;
  std::vector<uint8_t> padded(static_cast<size_t>(stride) * h, 0);
  unirep::modalities::RgbImage image;
  image.width = w;
  image.height = h;
  image.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) {
        const auto v = static_cast<uint8_t>((x * 3 + y * 2 + c * 60) % 256);
        image.at(y, x)[c] = v;
        padded[static_cast<size_t>(y) * stride + x * 3 + c] = v;
      }
  {
    std::ofstream ppm(d.file("g.ppm"), std::ios::binary);
    ppm << "P6\n" << w << " " << h << "\n255\n";
    ppm.write(reinterpret_cast<const char*>(image.pixels.data()), static_cast<std::streamsize>(image.pixels.size()));
  }

  unirep::sdk::ImageClassifierOptions o;
  o.model_file = d.file("m.safetensors");
  unirep::sdk::ImageClassifier internal(o);
  const auto ref = internal.classify(d.file("g.ppm"), 4);
  expect_same_scores(clf.classify_file(d.file("g.ppm"), 4), ref);
  expect_same_scores(clf.classify_pixels(padded.data(), w, h, stride, 4), ref);
  EXPECT_EQ(code_of([&] { clf.classify_pixels(padded.data(), w, h, w, 4); }), unirep::StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { unirep::VideoClassifier(d.file("m.safetensors")); }), unirep::StatusCode::kBadFile);
}

TEST(Api, PointCloudRecognizerMatchesTheSdk) {
  unirep::testing::TempDir d;
  const auto labels = unirep::testing::write_point_model(d.file("m.safetensors"));
  unirep::PointCloudRecognizer rec(d.file("m.safetensors"), {1, "cpu", 8});
  EXPECT_EQ(rec.labels(), labels);

  std::mt19937 rng(5);
  std::normal_distribution<float> n(0.f, 1.f);
  std::vector<float> xyz;
  std::ofstream xyz_file(d.file("cloud.xyz"));
  xyz_file.precision(9);  // round-trips floats exactly
  for (int i = 0; i < 400; ++i) {
    float p[3] = {n(rng), n(rng), 0.5f * n(rng)};
    const float r = std::sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]) + 1e-6f;
    for (float& v : p) {
      v /= r;
      xyz.push_back(v);
    }
    xyz_file << p[0] << " " << p[1] << " " << p[2] << "\n";
  }
  xyz_file.close();

  auto internal = unirep::sdk::PointCloudRecognizer::load(d.file("m.safetensors"));
  unirep::modalities::PointCloud cloud;
  for (size_t i = 0; i < xyz.size(); i += 3) cloud.xyz.push_back({xyz[i], xyz[i + 1], xyz[i + 2]});
  const auto probs = internal.probabilities(unirep::modalities::cloud_to_input(cloud, internal.spec().input));
  const auto api = rec.recognize_points(xyz.data(), xyz.size() / 3, 3);
  ASSERT_EQ(api.size(), 3u);
  for (const auto& s : api) EXPECT_FLOAT_EQ(s.score, probs[s.index].item<float>()) << s.label;
  const auto from_file = rec.recognize_file(d.file("cloud.xyz"), 3);
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(from_file[i].score, api[i].score, 1e-4);

  xyz[7] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(code_of([&] { rec.recognize_points(xyz.data(), xyz.size() / 3); }), unirep::StatusCode::kInvalidArgument);
}

TEST(Api, ForecasterFromCsvAndFromValuesAgree) {
  unirep::testing::TempDir d;
  std::ofstream(d.file("s.csv")) << unirep::testing::sinusoid_csv(300);
  unirep::testing::write_forecaster(d.file("s.csv"), d.file("f.safetensors"));
  unirep::Forecaster f(d.file("f.safetensors"), {1, "cpu", 8});
  EXPECT_EQ(f.targets(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(f.history_length(), 24u);
  EXPECT_EQ(f.horizon(), 6u);
  EXPECT_DOUBLE_EQ(f.step_seconds(), 3600.0);

  const auto csv = f.forecast_csv(d.file("s.csv"));
  ASSERT_EQ(csv.steps(), 6u);
  ASSERT_EQ(csv.values.size(), 12u);
  EXPECT_EQ(csv.timestamps.front(), "2020-01-13 12:00");  // row 300 of hourly rows from 2020-01-01 00:00
  EXPECT_DOUBLE_EQ(csv.times[1] - csv.times[0], 3600.0);

  // The same history from memory (the last 24 rows).
  const auto table = unirep::modalities::read_series_csv(d.file("s.csv"), {});
  std::vector<double> times(table.times.end() - 24, table.times.end());
  std::vector<float> values(table.values.end() - 48, table.values.end());
  const auto mem = f.forecast_values(times.data(), values.data(), 24, 2);
  for (size_t i = 0; i < 12; ++i) EXPECT_NEAR(mem.values[i], csv.values[i], 1e-5);
  EXPECT_EQ(mem.timestamps, csv.timestamps);

  times[10] += 1;  // irregular
  EXPECT_EQ(code_of([&] { f.forecast_values(times.data(), values.data(), 24, 2); }),
            unirep::StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { f.forecast_values(times.data(), values.data(), 23, 2); }),
            unirep::StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { f.forecast_values(times.data(), values.data(), 24, 3); }),
            unirep::StatusCode::kInvalidArgument);
}

TEST(Api, VideoClassifierMatchesTheSdk) {
  if (std::system("ffmpeg -version >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "ffmpeg (the CLI) is needed to make a test video";
  unirep::testing::TempDir d;
  const auto labels = unirep::testing::write_video_model(d.file("m.safetensors"));
  ASSERT_EQ(std::system(("ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc2=s=64x48:r=10:d=2 -pix_fmt yuv420p " +
                         d.file("v.mp4") + " >/dev/null 2>&1")
                            .c_str()),
            0);
  unirep::VideoClassifier clf(d.file("m.safetensors"), {1, "cpu", 8});
  EXPECT_EQ(clf.labels(), labels);
  unirep::sdk::VideoClassifierOptions o;
  o.model_file = d.file("m.safetensors");
  unirep::sdk::VideoClassifier internal(o);
  for (int views : {1, 15}) {
    const auto probs = internal.probabilities(d.file("v.mp4"), views);
    const auto api = clf.classify_file(d.file("v.mp4"), 2, views);
    ASSERT_EQ(api.size(), 2u);
    for (const auto& s : api) EXPECT_FLOAT_EQ(s.score, probs[s.index].item<float>());
  }
  EXPECT_EQ(code_of([&] { clf.classify_file(d.file("v.mp4"), 2, 4); }), unirep::StatusCode::kInvalidArgument);

  // A layout and a plain weights file, as with an official checkpoint.
  unirep::testing::write_video_backbone(d.file("tiny.json"), d.file("w.safetensors"));
  const auto fw =
      unirep::VideoClassifier::from_weights(d.file("tiny.json"), d.file("w.safetensors"), {1, "cpu", 8}, 16);
  EXPECT_EQ(fw.labels(), (std::vector<std::string>{"0", "1"}));
  unirep::sdk::VideoClassifierOptions wo;
  wo.backbone.model = d.file("tiny.json");
  wo.backbone.weights = d.file("w.safetensors");
  wo.backbone.reparameterize = true;
  wo.transform.size = 16;
  unirep::sdk::VideoClassifier wref(wo);
  const auto wprobs = wref.probabilities(d.file("v.mp4"), 1);
  for (const auto& s : fw.classify_file(d.file("v.mp4"), 2)) EXPECT_FLOAT_EQ(s.score, wprobs[s.index].item<float>());
  EXPECT_EQ(code_of([&] { unirep::VideoClassifier::from_weights(d.file("tiny.json"), d.file("nope.pth")); }),
            unirep::StatusCode::kFileNotFound);
}

TEST(Api, BackboneFeaturesAndTheTensorHeader) {
  unirep::Backbone b("a", "", {1, "cpu", 8});
  EXPECT_EQ(b.in_channels(), 3);
  EXPECT_EQ(b.stage_channels(), (std::vector<int>{40, 80, 160, 320}));
  auto x = at::randn({2, 3, 64, 48}, at::TensorOptions().dtype(at::kFloat));
  const auto maps = b.stage_features(x.data_ptr<float>(), {2, 3, 64, 48});
  ASSERT_EQ(maps.size(), 4u);
  EXPECT_EQ(maps[0].shape, (std::vector<int64_t>{2, 40, 16, 12}));
  EXPECT_EQ(maps[3].shape, (std::vector<int64_t>{2, 320, 2, 2}));
  const auto tensors = unirep::stage_features(b, x);
  for (size_t i = 0; i < 4; ++i)
    EXPECT_EQ(unirep::testing::max_abs_diff(tensors[i], unirep::to_tensor(maps[i])), 0.0) << i;
  const auto pooled = b.pooled_features(x.data_ptr<float>(), {2, 3, 64, 48});
  EXPECT_EQ(pooled.shape, (std::vector<int64_t>{2, 320}));
  EXPECT_EQ(unirep::to_float_array(unirep::to_tensor(pooled)).values, pooled.values);
  EXPECT_EQ(code_of([&] {
              b.stage_features(x.data_ptr<float>(), {2, 4, 64, 48});
            }),
            unirep::StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { b.stage_features(x.data_ptr<float>(), {2, 3, 64}); }), unirep::StatusCode::kInvalidArgument);
}

TEST(Api, PrecisionBf16OnCpusThatHaveItAndUnknownPrecisionsRefused) {
  unirep::RuntimeOptions odd;
  odd.precision = "fp16";
  EXPECT_EQ(code_of([&] { unirep::Backbone("a", "", odd); }), unirep::StatusCode::kInvalidArgument);
  unirep::RuntimeOptions bf16;
  bf16.precision = "bf16";
  if (!unirep::models::cpu_has_bf16()) {
    EXPECT_EQ(code_of([&] { unirep::Backbone("a", "", bf16); }), unirep::StatusCode::kUnsupported);
    GTEST_SKIP() << "this CPU has no native bfloat16 (AVX512-BF16 or AMX)";
  }
  // Without weights a backbone is initialized at random: the same seed gives the same network.
  at::manual_seed(4);
  unirep::Backbone fast16("a", "", bf16);
  at::manual_seed(4);
  unirep::Backbone fast32("a", "", {});
  auto x = at::randn({1, 3, 64, 64}, at::TensorOptions().dtype(at::kFloat));
  const auto a = unirep::to_tensor(fast16.pooled_features(x.data_ptr<float>(), {1, 3, 64, 64}));
  const auto b = unirep::to_tensor(fast32.pooled_features(x.data_ptr<float>(), {1, 3, 64, 64}));
  EXPECT_LT(((a - b).norm() / b.norm()).item<double>(), 0.02);
  unirep::testing::TempDir d;
  unirep::testing::write_audio_model(d.file("audio.safetensors"));
  const unirep::AudioClassifier audio(d.file("audio.safetensors"), bf16);
  const auto tone = test_tone(12, 16000, 1);
  const auto internal = unirep::sdk::AudioClassifier::load(d.file("audio.safetensors"));
  const auto got = audio.classify_samples(tone.data(), tone.size(), 1, 16000, 3);
  const auto want = internal.classify_samples(tone, {3, 0.5, 8});
  ASSERT_EQ(got.top.size(), 3u);
  for (size_t i = 0; i < got.top.size(); ++i) EXPECT_NEAR(got.top[i].score, want.top[i].score, 0.02);
}

// One loaded model, several threads at once: every call gives the single-threaded answer.
TEST(Api, OneModelServesConcurrentCalls) {
  unirep::testing::TempDir d;
  unirep::testing::write_audio_model(d.file("audio.safetensors"));
  unirep::testing::write_point_model(d.file("points.safetensors"));
  const unirep::AudioClassifier audio(d.file("audio.safetensors"), {1, "cpu", 8});
  const unirep::PointCloudRecognizer points(d.file("points.safetensors"), {1, "cpu", 8});
  constexpr int kInputs = 6, kThreads = 4, kRounds = 3;
  std::vector<std::vector<float>> clips, clouds;
  std::vector<unirep::AudioClassification> audio_ref;
  std::vector<std::vector<unirep::LabelScore>> points_ref;
  std::mt19937 rng(3);
  std::normal_distribution<float> n(0.f, 1.f);
  for (int i = 0; i < kInputs; ++i) {
    clips.push_back(test_tone(12 + 3 * i, 16000, static_cast<unsigned>(i)));
    std::vector<float> c;
    for (int p = 0; p < 300; ++p) c.push_back(n(rng) * (1 + i % 3));
    clouds.push_back(c);
    audio_ref.push_back(audio.classify_samples(clips[i].data(), clips[i].size(), 1, 16000, 3));
    points_ref.push_back(points.recognize_points(clouds[i].data(), 100, 3));
  }
  std::atomic<int> mismatches{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      try {
        for (int r = 0; r < kRounds; ++r)
          for (int k = 0; k < kInputs; ++k) {
            const int i = (k + t) % kInputs;
            const auto a = audio.classify_samples(clips[i].data(), clips[i].size(), 1, 16000, 3);
            for (size_t j = 0; j < 3; ++j)
              if (a.top[j].index != audio_ref[i].top[j].index || a.top[j].score != audio_ref[i].top[j].score)
                ++mismatches;
            const auto p = points.recognize_points(clouds[i].data(), 100, 3);
            for (size_t j = 0; j < 3; ++j)
              if (p[j].index != points_ref[i][j].index || p[j].score != points_ref[i][j].score) ++mismatches;
          }
      } catch (...) {
        ++failures;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
}
