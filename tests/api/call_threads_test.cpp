// RuntimeOptions::threads holds for one call only (docs/api.md, Threads): LibTorch's count is per
// thread, and a call leaves the calling thread's count as the app had it, whether it returns or
// throws.
#include <unirep/unirep.hpp>

#include <support/test_models.h>
#include <support/test_support.h>

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <vector>
namespace {

// Sets the calling thread's LibTorch count for a test and puts the old one back.
class ThreadCount {
 public:
  explicit ThreadCount(int n) : previous_(at::get_num_threads()) { at::set_num_threads(n); }
  ~ThreadCount() { at::set_num_threads(previous_); }

 private:
  int previous_;
};

}  // namespace

TEST(Api, ThreadsOptionLeavesTheCallersThreadCountAsItWas) {
  unirep::testing::TempDir d;
  unirep::testing::write_audio_model(d.file("audio.safetensors"));
  unirep::testing::write_point_model(d.file("points.safetensors"));
  const ThreadCount app_setting(3);

  std::vector<float> tone(16000);
  for (size_t i = 0; i < tone.size(); ++i) tone[i] = 0.3f * static_cast<float>(std::sin(0.05 * static_cast<double>(i)));
  std::vector<float> xyz;
  for (int i = 0; i < 200; ++i) xyz.insert(xyz.end(), {std::cos(0.1f * i), std::sin(0.1f * i), 0.01f * i});

  for (const int threads : {1, 0}) {
    const unirep::RuntimeOptions options{threads, "cpu", 4};
    unirep::AudioClassifier audio(d.file("audio.safetensors"), options);
    audio.classify_samples(tone.data(), tone.size(), 1, 16000, 2);
    EXPECT_EQ(at::get_num_threads(), 3) << "threads = " << threads << ", audio";

    unirep::PointCloudRecognizer points(d.file("points.safetensors"), options);
    points.recognize_points(xyz.data(), xyz.size() / 3, 2);
    EXPECT_EQ(at::get_num_threads(), 3) << "threads = " << threads << ", points";
  }

  // A call that fails inside (an unreadable file) restores the count too.
  std::ofstream(d.file("broken.wav")) << "RIFF, but not audio";
  unirep::AudioClassifier audio(d.file("audio.safetensors"), {1, "cpu", 4});
  EXPECT_THROW(audio.classify_file(d.file("broken.wav")), unirep::Error);
  EXPECT_EQ(at::get_num_threads(), 3);
}
