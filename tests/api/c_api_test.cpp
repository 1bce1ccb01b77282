// The C API (include/unirep/unirep.h): status codes, thread-local last errors, caller-owned
// buffers, the classifier kinds a model file decides, and the same answers as the C++ API.
#include <unirep/unirep.h>
#include <unirep/unirep.hpp>

#include <support/test_models.h>

#include <support/test_support.h>

#include "models/fast/precision.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <thread>

extern "C" int unirep_test_c_flow(const char* audio_model, char* message, size_t size);
TEST(CApi, AFlowWrittenInC) {
  unirep::testing::TempDir d;
  unirep::testing::write_audio_model(d.file("m.safetensors"));
  char message[512] = {0};
  ASSERT_EQ(unirep_test_c_flow(d.file("m.safetensors").c_str(), message, sizeof message), 0) << message;
  unirep::AudioClassifier cpp(d.file("m.safetensors"));
  std::vector<float> s(16000);
  for (int i = 0; i < 16000; ++i)
    s[static_cast<size_t>(i)] = 0.3f * static_cast<float>(std::sin(2 * 3.14159265 * 440.0 * i / 16000.0));
  const auto top = cpp.classify_samples(s.data(), s.size(), 1, 16000, 1).top[0];
  char expected[256];
  std::snprintf(expected, sizeof expected, "%s %.6f", top.label.c_str(), top.score);
  EXPECT_STREQ(message, expected);
}

TEST(CApi, ClassifierKindsLabelsAndFiles) {
  unirep::testing::TempDir d;
  const auto audio_labels = unirep::testing::write_audio_model(d.file("audio.safetensors"));
  const auto point_labels = unirep::testing::write_point_model(d.file("points.safetensors"));
  unirep_classifier* clf = nullptr;
  ASSERT_EQ(unirep_classifier_load(d.file("points.safetensors").c_str(), nullptr, &clf), UNIREP_OK)
      << unirep_last_error();
  EXPECT_STREQ(unirep_classifier_kind(clf), "point_classifier");
  ASSERT_EQ(unirep_classifier_num_labels(clf), point_labels.size());
  for (size_t i = 0; i < point_labels.size(); ++i) EXPECT_EQ(unirep_classifier_label(clf, i), point_labels[i]);
  EXPECT_EQ(unirep_classifier_label(clf, point_labels.size()), nullptr);

  std::vector<float> xyz;
  {
    std::ofstream f(d.file("c.xyz"));
    for (int i = 0; i < 200; ++i) {
      const float p[3] = {std::cos(i * 0.1f), std::sin(i * 0.1f), 0.01f * static_cast<float>(i)};
      f << p[0] << " " << p[1] << " " << p[2] << "\n";
      xyz.insert(xyz.end(), p, p + 3);
    }
  }
  unirep_label_score results[8];
  size_t count = 0;
  ASSERT_EQ(unirep_classify_file(clf, d.file("c.xyz").c_str(), results, 8, &count), UNIREP_OK) << unirep_last_error();
  EXPECT_EQ(count, point_labels.size());  // capacity above the label count: every label
  const auto cpp = unirep::PointCloudRecognizer(d.file("points.safetensors")).recognize_file(d.file("c.xyz"), 8);
  for (size_t i = 0; i < count; ++i) {
    EXPECT_EQ(results[i].index, cpp[i].index);
    EXPECT_FLOAT_EQ(results[i].score, cpp[i].score);
  }
  ASSERT_EQ(unirep_classify_points(clf, xyz.data(), 200, results, 1, &count), UNIREP_OK) << unirep_last_error();
  EXPECT_EQ(count, 1u);

  // The wrong modality, a missing file, bad arguments: a status and a message, nothing thrown.
  float samples[100] = {0};
  EXPECT_EQ(unirep_classify_samples(clf, samples, 100, 1, 16000, results, 8, &count), UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(unirep_last_error()).find("point_classifier"), std::string::npos) << unirep_last_error();
  EXPECT_EQ(unirep_classify_file(clf, d.file("none.ply").c_str(), results, 8, &count), UNIREP_ERROR_FILE_NOT_FOUND);
  EXPECT_NE(std::string(unirep_last_error()).find("none.ply"), std::string::npos);
  EXPECT_EQ(unirep_classify_file(clf, nullptr, results, 8, &count), UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(unirep_classify_file(clf, d.file("c.xyz").c_str(), nullptr, 8, &count), UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(unirep_classify_file(nullptr, d.file("c.xyz").c_str(), results, 8, &count), UNIREP_ERROR_INVALID_ARGUMENT);
  unirep_classifier_free(clf);
  unirep_classifier_free(nullptr);

  // Load errors: the code, the message, *out cleared.
  std::ofstream(d.file("junk.safetensors")) << "junk";
  clf = reinterpret_cast<unirep_classifier*>(0x1);
  EXPECT_EQ(unirep_classifier_load(d.file("junk.safetensors").c_str(), nullptr, &clf), UNIREP_ERROR_BAD_FILE);
  EXPECT_EQ(clf, nullptr);
  EXPECT_NE(std::string(unirep_last_error()).find("junk.safetensors"), std::string::npos);
  EXPECT_EQ(unirep_classifier_load(d.file("missing").c_str(), nullptr, &clf), UNIREP_ERROR_FILE_NOT_FOUND);
  unirep_options cuda{0, "cuda", 0};
  EXPECT_EQ(unirep_classifier_load(d.file("audio.safetensors").c_str(), &cuda, &clf), UNIREP_ERROR_UNSUPPORTED);
  unirep_options fp16{0, nullptr, 0, "fp16"};
  EXPECT_EQ(unirep_classifier_load(d.file("audio.safetensors").c_str(), &fp16, &clf), UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(unirep_last_error()).find("fp16"), std::string::npos) << unirep_last_error();
  unirep_options bf16{0, nullptr, 0, "bf16"};
  const unirep_status loaded = unirep_classifier_load(d.file("audio.safetensors").c_str(), &bf16, &clf);
  EXPECT_EQ(loaded, unirep::models::cpu_has_bf16() ? UNIREP_OK : UNIREP_ERROR_UNSUPPORTED) << unirep_last_error();
  if (loaded == UNIREP_OK) unirep_classifier_free(clf);
  EXPECT_STREQ(unirep_status_name(UNIREP_ERROR_UNSUPPORTED), "unsupported");
  EXPECT_STREQ(unirep_status_name(UNIREP_ERROR_BUFFER_TOO_SMALL), "buffer too small");
  EXPECT_STREQ(unirep_status_name(static_cast<unirep_status>(99)), "unknown status");
}

TEST(CApi, LastErrorIsPerThread) {
  unirep::testing::TempDir d;
  unirep_classifier* clf = nullptr;
  ASSERT_NE(unirep_classifier_load(d.file("first").c_str(), nullptr, &clf), UNIREP_OK);
  std::thread([&] {
    EXPECT_STREQ(unirep_last_error(), "");
    unirep_classifier* other = nullptr;
    EXPECT_NE(unirep_classifier_load(d.file("second").c_str(), nullptr, &other), UNIREP_OK);
    EXPECT_NE(std::string(unirep_last_error()).find("second"), std::string::npos);
  }).join();
  EXPECT_NE(std::string(unirep_last_error()).find("first"), std::string::npos) << unirep_last_error();
}

TEST(CApi, ForecasterBuffersAndBackbone) {
  unirep::testing::TempDir d;
  std::ofstream(d.file("s.csv")) << unirep::testing::sinusoid_csv(200);
  unirep::testing::write_forecaster(d.file("s.csv"), d.file("f.safetensors"));
  unirep_forecaster* f = nullptr;
  ASSERT_EQ(unirep_forecaster_load(d.file("f.safetensors").c_str(), nullptr, &f), UNIREP_OK) << unirep_last_error();
  EXPECT_EQ(unirep_forecaster_num_targets(f), 2u);
  EXPECT_STREQ(unirep_forecaster_target(f, 1), "b");
  EXPECT_EQ(unirep_forecaster_num_covariates(f), 0u);
  EXPECT_EQ(unirep_forecaster_history_length(f), 24u);
  ASSERT_EQ(unirep_forecaster_horizon(f), 6u);
  float values[12];
  double times[6];
  size_t steps = 0;
  EXPECT_EQ(unirep_forecast_csv(f, d.file("s.csv").c_str(), values, 11, times, &steps), UNIREP_ERROR_BUFFER_TOO_SMALL);
  EXPECT_EQ(steps, 6u);  // what is needed comes back
  ASSERT_EQ(unirep_forecast_csv(f, d.file("s.csv").c_str(), values, 12, times, &steps), UNIREP_OK)
      << unirep_last_error();
  const auto cpp = unirep::Forecaster(d.file("f.safetensors")).forecast_csv(d.file("s.csv"));
  for (size_t i = 0; i < 12; ++i) EXPECT_FLOAT_EQ(values[i], cpp.values[i]);
  for (size_t i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(times[i], cpp.times[i]);
  unirep_forecaster_free(f);
  EXPECT_EQ(unirep_forecaster_load(d.file("s.csv").c_str(), nullptr, &f), UNIREP_ERROR_BAD_FILE);

  unirep_backbone* b = nullptr;
  ASSERT_EQ(unirep_backbone_load("a", nullptr, nullptr, &b), UNIREP_OK) << unirep_last_error();
  std::vector<float> input(2 * 3 * 32 * 32, 0.5f);
  const int64_t shape[4] = {2, 3, 32, 32};
  std::vector<float> features(640);
  size_t width = 0;
  EXPECT_EQ(unirep_backbone_pooled(b, input.data(), shape, features.data(), 639, &width),
            UNIREP_ERROR_BUFFER_TOO_SMALL);
  EXPECT_EQ(width, 320u);
  ASSERT_EQ(unirep_backbone_pooled(b, input.data(), shape, features.data(), 640, &width), UNIREP_OK)
      << unirep_last_error();
  for (size_t i = 0; i < 320; ++i) EXPECT_FLOAT_EQ(features[i], features[320 + i]);  // equal inputs, equal rows
  unirep_backbone_free(b);
  EXPECT_EQ(unirep_backbone_load("zz", nullptr, nullptr, &b), UNIREP_ERROR_INVALID_ARGUMENT) << unirep_last_error();
}
