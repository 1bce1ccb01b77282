// No silent poison through the C API: audio buffers holding NaN, infinite or absurd samples are
// refused (UNIREP_ERROR_INVALID_ARGUMENT, naming the argument and the sample), and model and
// weights files holding NaN are refused at load (UNIREP_ERROR_BAD_FILE, naming file and tensor).
#include <unirep/unirep.h>

#include <support/test_models.h>
#include <support/test_support.h>

#include "models/io/safetensors.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> tone(size_t frames, int channels) {
  std::vector<float> s(frames * static_cast<size_t>(channels));
  for (size_t i = 0; i < s.size(); ++i)
    s[i] = 0.3f * std::sin(0.05f * static_cast<float>(i / static_cast<size_t>(channels)));
  return s;
}

::testing::AssertionResult last_error_has(const std::string& needle) {
  const std::string e = unirep_last_error();
  if (e.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << needle << "' not in the last error: " << e;
}

// A copy of the safetensors file `from` at `to` whose first tensor named "...`suffix`" holds `value`
// at flat index 3; returns that tensor's name.
std::string write_poisoned(const std::string& from, const std::string& to, const std::string& suffix, float value) {
  unirep::io::Metadata meta;
  auto tensors = unirep::io::read_safetensors(from, &meta);
  for (auto& nt : tensors)
    if (nt.name.size() >= suffix.size() &&
        nt.name.compare(nt.name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      nt.tensor = nt.tensor.clone();
      nt.tensor.view({-1})[3] = value;
      unirep::io::write_safetensors(to, tensors, meta);
      return nt.name;
    }
  ADD_FAILURE() << "no tensor named ..." << suffix << " in " << from;
  return "";
}

class PoisonApi : public ::testing::Test {
 protected:
  void SetUp() override {
    unirep::testing::write_audio_model(d.file("audio.safetensors"));
    ASSERT_EQ(unirep_classifier_load(d.file("audio.safetensors").c_str(), nullptr, &clf), UNIREP_OK)
        << unirep_last_error();
  }
  void TearDown() override { unirep_classifier_free(clf); }

  unirep_status classify(const std::vector<float>& s, int channels, int rate = 16000) {
    return unirep_classify_samples(clf, s.data(), s.size() / static_cast<size_t>(channels), channels, rate, results, 3,
                                   &count);
  }

  unirep::testing::TempDir d;
  unirep_classifier* clf = nullptr;
  unirep_label_score results[3];
  size_t count = 0;
};

}  // namespace

TEST_F(PoisonApi, NaNAndInfiniteSamplesAreRefusedNamingTheSample) {
  auto s = tone(16000, 1);
  s[5] = kNaN;
  EXPECT_EQ(classify(s, 1), UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(last_error_has("samples: sample 5 ("));
  EXPECT_TRUE(last_error_has("is nan"));
  s[5] = 0;
  s[8000] = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(classify(s, 1), UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(last_error_has("sample 8000 (0.500 s in) is -inf"));
}

TEST_F(PoisonApi, AbsurdMagnitudesAreRefusedEvenWhenTheChannelsCancel) {
  auto mono = tone(16000, 1);
  mono[100] = 3e38f;
  EXPECT_EQ(classify(mono, 1), UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(last_error_has("sample 100 (0.006 s in) is 3e+38"));
  EXPECT_TRUE(last_error_has("within [-1000, 1000]"));
  // +3e38 and -3e38 average to 0: the down-mix would hide them.
  auto stereo = tone(16000, 2);
  stereo[2 * 201] = 3e38f;
  stereo[2 * 201 + 1] = -3e38f;
  EXPECT_EQ(classify(stereo, 2), UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(last_error_has("sample 201 of channel 1 (0.013 s in) is 3e+38"));
  // Headroom above full scale is audio.
  auto loud = tone(16000, 1);
  for (auto& v : loud) v *= 4;
  EXPECT_EQ(classify(loud, 1), UNIREP_OK) << unirep_last_error();
  for (size_t i = 0; i < count; ++i) EXPECT_TRUE(std::isfinite(results[i].score));
}

TEST_F(PoisonApi, AnUnsupportedSampleRateSaysWhichAreSupported) {
  EXPECT_EQ(classify(tone(1000, 1), 1, 500), UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(last_error_has("sample_rate: 500 Hz is out of range (supported: 1000 to 768000 Hz)"));
}

TEST(PoisonApiFiles, AModelFileWithNaNWeightsIsABadFileNamingTheTensor) {
  unirep::testing::TempDir d;
  unirep::testing::write_audio_model(d.file("good.safetensors"));
  const auto head = write_poisoned(d.file("good.safetensors"), d.file("nan.safetensors"), "mlp_head.1.weight", kNaN);
  unirep_classifier* clf = reinterpret_cast<unirep_classifier*>(0x1);
  EXPECT_EQ(unirep_classifier_load(d.file("nan.safetensors").c_str(), nullptr, &clf), UNIREP_ERROR_BAD_FILE);
  EXPECT_EQ(clf, nullptr);
  EXPECT_TRUE(last_error_has(d.file("nan.safetensors") + ": tensor '" + head + "' holds 1 NaN or infinite value"));
  const auto conv = write_poisoned(d.file("good.safetensors"), d.file("inf.safetensors"), "dwconv.weight",
                                   std::numeric_limits<float>::infinity());
  EXPECT_EQ(unirep_classifier_load(d.file("inf.safetensors").c_str(), nullptr, &clf), UNIREP_ERROR_BAD_FILE);
  EXPECT_TRUE(last_error_has("inf.safetensors: tensor '" + conv + "' holds 1 NaN or infinite value (the first, inf"));
}

TEST(PoisonApiFiles, BackboneWeightsWithNaNAreABadFileNamingTheTensor) {
  unirep::testing::TempDir d;
  unirep::testing::write_video_backbone(d.file("tiny.json"), d.file("tiny.safetensors"));
  const auto name = write_poisoned(d.file("tiny.safetensors"), d.file("nan.safetensors"), "head.weight", kNaN);
  unirep_backbone* b = nullptr;
  EXPECT_EQ(unirep_backbone_load(d.file("tiny.json").c_str(), d.file("nan.safetensors").c_str(), nullptr, &b),
            UNIREP_ERROR_BAD_FILE);
  EXPECT_EQ(b, nullptr);
  EXPECT_TRUE(last_error_has("nan.safetensors: tensor '" + name + "' holds 1 NaN or infinite value"));
  ASSERT_EQ(unirep_backbone_load(d.file("tiny.json").c_str(), d.file("tiny.safetensors").c_str(), nullptr, &b),
            UNIREP_OK)
      << unirep_last_error();
  unirep_backbone_free(b);
}
