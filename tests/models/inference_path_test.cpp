// The SDK's classifiers run the fast path by default and give what the LibTorch reference path
// gives (to the fixture tolerance) on every modality; UNIREP_INFERENCE_PATH chooses, and refuses
// values it does not know.
#include "models/backbone/randomize.h"
#include "sdk/audio/audio_classifier.h"
#include "sdk/image/image_classifier.h"
#include "sdk/inference_backbone.h"
#include "sdk/points/point_model.h"
#include "sdk/video/video_classifier.h"

#include <gtest/gtest.h>
#include <torch/types.h>

#include <cstdlib>

#include "support/test_models.h"
#include "support/test_support.h"

using unirep::sdk::InferencePath;
using unirep::testing::ScopedEnv;
using unirep::testing::TempDir;
using unirep::testing::within_fixture_tolerance;

TEST(InferencePath, ImageAndVideoClassifiersAgreeOnBothPaths) {
  TempDir d;
  unirep::testing::write_image_model(d.file("image.safetensors"));
  unirep::testing::write_video_model(d.file("video.safetensors"));
  unirep::sdk::ImageClassifierOptions o;
  o.model_file = d.file("image.safetensors");
  o.inference.path = InferencePath::Fast;
  unirep::sdk::ImageClassifier fast(o);
  o.inference.path = InferencePath::Reference;
  unirep::sdk::ImageClassifier reference(o);
  auto images = torch::randn({3, 3, 64, 64});
  EXPECT_TRUE(within_fixture_tolerance(fast.probabilities(images), reference.probabilities(images)));

  unirep::sdk::VideoClassifierOptions v;
  v.model_file = d.file("video.safetensors");
  v.inference.path = InferencePath::Fast;
  unirep::sdk::VideoClassifier vfast(v);
  v.inference.path = InferencePath::Reference;
  unirep::sdk::VideoClassifier vref(v);
  auto frames = torch::randn({2, 3, 48, 64});
  EXPECT_TRUE(within_fixture_tolerance(vfast.probabilities_of(frames), vref.probabilities_of(frames)));
}

TEST(InferencePath, AudioAndPointClassifiersAgreeOnBothPaths) {
  TempDir d;
  unirep::testing::write_audio_model(d.file("audio.safetensors"));
  unirep::testing::write_point_model(d.file("points.safetensors"));
  auto afast = unirep::sdk::AudioClassifier::load(d.file("audio.safetensors"), InferencePath::Fast);
  auto aref = unirep::sdk::AudioClassifier::load(d.file("audio.safetensors"), InferencePath::Reference);
  const auto& in = afast.spec().input;
  auto inputs = torch::randn({4, 1, in.fbank.mel_opts.num_bins, in.target_frames});
  EXPECT_TRUE(within_fixture_tolerance(afast.predict(inputs), aref.predict(inputs)));

  auto pfast = unirep::sdk::PointCloudRecognizer::load(d.file("points.safetensors"), InferencePath::Fast);
  auto pref = unirep::sdk::PointCloudRecognizer::load(d.file("points.safetensors"), InferencePath::Reference);
  auto points = torch::rand({500, 3}) * 2 - 1;
  EXPECT_TRUE(within_fixture_tolerance(pfast.rotation_probabilities(points), pref.rotation_probabilities(points)));
  EXPECT_TRUE(within_fixture_tolerance(pfast.probabilities(points), pref.probabilities(points)));
}

TEST(InferencePath, TheEnvironmentChoosesAndUnknownValuesAreRefused) {
  {
    ScopedEnv env("UNIREP_INFERENCE_PATH", "reference");
    EXPECT_EQ(unirep::sdk::inference_path_from_env(), InferencePath::Reference);
  }
  {
    ScopedEnv env("UNIREP_INFERENCE_PATH", "fast");
    EXPECT_EQ(unirep::sdk::inference_path_from_env(), InferencePath::Fast);
  }
  {
    ScopedEnv env("UNIREP_INFERENCE_PATH", "turbo");
    try {
      unirep::sdk::inference_path_from_env();
      FAIL() << "an unknown path was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("UNIREP_INFERENCE_PATH"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("turbo"), std::string::npos) << e.what();
    }
  }
  ::unsetenv("UNIREP_INFERENCE_PATH");
  EXPECT_EQ(unirep::sdk::inference_path_from_env(), InferencePath::Fast);
}

// The dense-task backbone (norm0..norm3 on the stage maps): the fast path's stages with the norms
// applied equal the LibTorch network's, at an odd size and batch 2.
TEST(InferencePath, StageMapsWithTheirNormsAgreeOnBothPaths) {
  auto config = unirep::models::variant_config("a");
  unirep::models::UniRepLKNet net{
      unirep::models::UniRepLKNetOptions(config).head_kind(unirep::models::HeadKind::StageNorms)};
  unirep::models::randomize_for_checks(*net, 5);
  net->eval();
  net->reparameterize();
  const unirep::sdk::InferenceBackbone fast(net, InferencePath::Fast), reference(net, InferencePath::Reference);
  ASSERT_EQ(fast.path(), InferencePath::Fast);
  const auto x = torch::randn({2, 3, 75, 61});
  const auto a = fast.forward_stages(x, true), b = reference.forward_stages(x, true);
  ASSERT_EQ(a.size(), 4u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(within_fixture_tolerance(a[i], b[i])) << "stage " << i;
}

TEST(InferencePath, TrainStructureNetworksStayOnTheReferencePath) {
  auto config = unirep::models::variant_config("a");
  config.num_classes = 5;
  unirep::models::UniRepLKNet train{unirep::models::UniRepLKNetOptions(config)};
  unirep::sdk::InferenceBackbone backbone(train, InferencePath::Fast);
  EXPECT_EQ(backbone.path(), InferencePath::Reference);
  train->reparameterize();
  EXPECT_EQ(unirep::sdk::InferenceBackbone(train, InferencePath::Fast).path(), InferencePath::Fast);
}

TEST(InferencePath, Bf16RunsOnTheFastPathOnlyAndStaysCloseToFp32) {
  auto config = unirep::models::variant_config("a");
  config.num_classes = 5;
  unirep::models::UniRepLKNet net{unirep::models::UniRepLKNetOptions(config)};
  unirep::models::randomize_for_checks(*net, 9);
  const unirep::sdk::InferenceSettings bf16(InferencePath::Fast, unirep::models::Precision::BFloat16);
  // The train structure and the reference path cannot run bf16: refused, not silently fp32.
  EXPECT_THROW(unirep::sdk::InferenceBackbone(net, bf16), std::invalid_argument);
  net->reparameterize();
  EXPECT_THROW(unirep::sdk::InferenceBackbone(
                   net, unirep::sdk::InferenceSettings(InferencePath::Reference, unirep::models::Precision::BFloat16)),
               std::invalid_argument);
  if (!unirep::models::cpu_has_bf16()) GTEST_SKIP() << "this CPU has no native bfloat16 (AVX512-BF16 or AMX)";
  const unirep::sdk::InferenceBackbone fast(net, bf16), fp32(net, InferencePath::Fast);
  EXPECT_EQ(fast.precision(), unirep::models::Precision::BFloat16);
  EXPECT_EQ(fp32.precision(), unirep::models::Precision::Float32);
  const auto x = torch::randn({2, 3, 64, 64});
  const auto a = fast.forward(x, unirep::models::OutputMode::Pooled);
  const auto b = fp32.forward(x, unirep::models::OutputMode::Pooled);
  EXPECT_LT(((a - b).norm() / b.norm()).item<double>(), 0.02);
  EXPECT_FALSE(torch::equal(a, b));
}
