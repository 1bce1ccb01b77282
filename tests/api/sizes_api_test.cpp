// Sizes through the C API (docs/api.md, Input limits and Errors): counts beyond what any input
// holds are UNIREP_ERROR_INVALID_ARGUMENT naming the function and the argument, inputs that cannot
// fit in memory and allocations that fail are UNIREP_ERROR_OUT_OF_MEMORY saying how much, model
// files claiming absurd sizes are refused from their metadata, and every message is one line.
//
// Calls that the old code answered by allocating from the bad count (and then reading past the
// caller's buffer) run in a child process under an address-space cap (a death test).
#include <unirep/unirep.h>
#include <unirep/unirep.hpp>

#include "sdk/model_file.h"

#include <support/test_models.h>
#include <support/test_support.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
namespace {

void expect_one_line(const std::string& message) {
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_LT(message.size(), 500u) << message;
}

// The process's mapped address space now (VmSize), in bytes.
unsigned long long mapped_bytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  unsigned long long kib = 0;
  while (status >> key) {
    if (key == "VmSize:") {
      status >> kib;
      break;
    }
  }
  return kib * 1024;
}

// In a death-test child: caps the address space `headroom` above what is mapped now.
void cap_address_space(unsigned long long headroom) {
  const rlimit limit{mapped_bytes() + headroom, mapped_bytes() + headroom};
  if (setrlimit(RLIMIT_AS, &limit) != 0) std::_Exit(100);
}

// Ends a death-test child with the call's status, its message on stderr for the matcher.
[[noreturn]] void exit_with(unirep_status status) {
  std::fprintf(stderr, "status %d: %s\n", static_cast<int>(status), unirep_last_error());
  std::fflush(stderr);
  std::_Exit(static_cast<int>(status));
}

unirep_options one_thread() {
  unirep_options o{};
  o.threads = 1;  // no new threads in a capped child (their stacks could not be mapped)
  return o;
}

}  // namespace

TEST(SizesApi, PointCountsBeyondTheLimitNameTheArgument) {
  unirep::testing::TempDir d;
  unirep::testing::write_point_model(d.file("points.safetensors"));
  unirep_classifier* clf = nullptr;
  ASSERT_EQ(unirep_classifier_load(d.file("points.safetensors").c_str(), nullptr, &clf), UNIREP_OK)
      << unirep_last_error();
  const float xyz[9] = {0, 0, 0, 1, 0, 0, 0, 1, 0};
  unirep_label_score results[4];
  size_t count = 0;
  EXPECT_EQ(unirep_classify_points(clf, xyz, 10000000000ull, results, 4, &count), UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(unirep_last_error(),
               "unirep_classify_points: count_points 10000000000 exceeds the limit of 16777216 points");
  unirep_classifier_free(clf);

  const unirep::PointCloudRecognizer cpp(d.file("points.safetensors"));
  try {
    cpp.recognize_points(xyz, 10000000000ull);
    ADD_FAILURE() << "accepted 1e10 points";
  } catch (const unirep::Error& e) {
    EXPECT_EQ(e.code(), unirep::StatusCode::kInvalidArgument);
    EXPECT_STREQ(e.what(), "points: count 10000000000 exceeds the limit of 16777216 points");
  }
}

TEST(SizesApi, AudioFramesBeyondTheLimitNameTheArgument) {
  unirep::testing::TempDir d;
  unirep::testing::write_audio_model(d.file("audio.safetensors"));
  unirep_classifier* clf = nullptr;
  ASSERT_EQ(unirep_classifier_load(d.file("audio.safetensors").c_str(), nullptr, &clf), UNIREP_OK)
      << unirep_last_error();
  const float samples[4] = {0, 0, 0, 0};
  unirep_label_score results[4];
  size_t count = 0;
  EXPECT_EQ(unirep_classify_samples(clf, samples, 1000000000000ull, 1, 16000, results, 4, &count),
            UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(
      unirep_last_error(),
      "unirep_classify_samples: frames 1000000000000 exceeds the limit of 57600000 (3600 s at sample_rate 16000)");
  unirep_classifier_free(clf);
}

TEST(SizesApi, BatchSizesAndHistoriesBeyondTheLimitNameTheArgument) {
  unirep::testing::TempDir d;
  unirep::testing::write_point_model(d.file("points.safetensors"));
  unirep_options options{};
  options.batch_size = 1 << 30;
  unirep_classifier* clf = nullptr;
  EXPECT_EQ(unirep_classifier_load(d.file("points.safetensors").c_str(), &options, &clf),
            UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(clf, nullptr);
  EXPECT_STREQ(unirep_last_error(), "options.batch_size 1073741824 exceeds the limit of 4096");

  std::ofstream(d.file("s.csv")) << unirep::testing::sinusoid_csv(200);
  unirep::testing::write_forecaster(d.file("s.csv"), d.file("f.safetensors"));
  unirep_forecaster* f = nullptr;
  ASSERT_EQ(unirep_forecaster_load(d.file("f.safetensors").c_str(), nullptr, &f), UNIREP_OK) << unirep_last_error();
  const double times[2] = {0, 3600};
  const float history[4] = {0, 0, 0, 0};
  float values[12];
  size_t steps = 0;
  EXPECT_EQ(unirep_forecast_values(f, times, history, 10000000000ull, 2, values, 12, nullptr, &steps),
            UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(unirep_last_error(),
               "unirep_forecast_values: rows x columns 10000000000 x 2 exceeds the limit of 67108864 values");
  unirep_forecaster_free(f);
}

// The metadata's layout is checked before the network is built: the old code tried to allocate the
// 1e12-class head and reported LibTorch's allocator as an internal error.
TEST(SizesApi, AModelFileClaimingAbsurdSizesIsABadFile) {
  unirep::testing::TempDir d;
  unirep::testing::write_image_model(d.file("good.safetensors"));
  auto model = unirep::sdk::read_model_file(d.file("good.safetensors"));
  model.backbone.num_classes = 1000000000000;
  unirep::sdk::write_model_file(d.file("big.safetensors"), model);
  unirep_classifier* clf = nullptr;
  EXPECT_EQ(unirep_classifier_load(d.file("big.safetensors").c_str(), nullptr, &clf), UNIREP_ERROR_BAD_FILE);
  EXPECT_EQ(clf, nullptr);
  const std::string message = unirep_last_error();
  EXPECT_EQ(message.rfind(d.file("big.safetensors") + ": ", 0), 0u) << message;
  EXPECT_NE(message.find("'num_classes' is 1000000000000, more than the limit of 16777216 classes"), std::string::npos)
      << message;
  expect_one_line(message);
}

namespace {

// The bodies of the death tests (each runs in a capped child and exits with the call's status).

[[noreturn]] void load_wide_layout(const std::string& path) {
  const auto options = one_thread();
  cap_address_space(1ull << 30);
  unirep_backbone* b = nullptr;
  const auto status = unirep_backbone_load(path.c_str(), nullptr, &options, &b);
  if (b != nullptr || std::string(unirep_last_error()).find('\n') != std::string::npos)
    exit_with(UNIREP_ERROR_INTERNAL);
  exit_with(status);
}

[[noreturn]] void classify_huge_pixels(const std::string& model_file) {
  const auto options = one_thread();
  unirep_classifier* clf = nullptr;
  if (unirep_classifier_load(model_file.c_str(), &options, &clf) != UNIREP_OK) exit_with(UNIREP_ERROR_INTERNAL);
  cap_address_space(1ull << 30);
  const uint8_t rgb[16] = {0};
  unirep_label_score results[2];
  size_t count = 0;
  exit_with(unirep_classify_pixels(clf, rgb, 65535, 65535, 0, results, 2, &count));
}

// `input` holds far fewer values than `shape` says: only a call that refuses from the shape alone
// returns instead of reading past it.
[[noreturn]] void pool_beyond_memory() {
  const auto options = one_thread();
  unirep_backbone* b = nullptr;
  if (unirep_backbone_load("a", nullptr, &options, &b) != UNIREP_OK) exit_with(UNIREP_ERROR_INTERNAL);
  cap_address_space(1ull << 30);
  const float input[16] = {0};
  const int64_t shape[4] = {1, 3, 32768, 32768};
  float features[320];
  size_t width = 0;
  exit_with(unirep_backbone_pooled(b, input, shape, features, 320, &width));
}

[[noreturn]] void pool_past_the_cap() {
  const auto options = one_thread();
  unirep_backbone* b = nullptr;
  if (unirep_backbone_load("a", nullptr, &options, &b) != UNIREP_OK) exit_with(UNIREP_ERROR_INTERNAL);
  std::vector<float> input(size_t{3} * 2048 * 2048, 0.5f);
  float features[320];
  size_t width = 0;
  // Warm the library up on a small input, so only the big activations are left to allocate.
  const int64_t small[4] = {1, 3, 64, 64};
  if (unirep_backbone_pooled(b, input.data(), small, features, 320, &width) != UNIREP_OK)
    exit_with(UNIREP_ERROR_INTERNAL);
  cap_address_space(256ull << 20);
  const int64_t shape[4] = {1, 3, 2048, 2048};
  exit_with(unirep_backbone_pooled(b, input.data(), shape, features, 320, &width));
}

}  // namespace

// The old code built this 276 GiB layout, writing gigabytes of initial weights.
TEST(SizesApiDeathTest, ALayoutArgumentBeyondTheMemoryLimitIsAnInvalidArgument) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  unirep::testing::TempDir d;
  unirep::testing::write_bytes(d.file("wide.json"), R"({"depths": [1,1,1,1], "dims": [8192,16384,32768,65536],)"
                                                    R"( "kernel_sizes": [[3],[3],[3],[3]], "num_classes": 0})");
  EXPECT_EXIT(load_wide_layout(d.file("wide.json")), ::testing::ExitedWithCode(UNIREP_ERROR_INVALID_ARGUMENT),
              "wide.json: layout asks for [0-9]+ parameters");
}

// The old code allocated the 12.9 GB image, then read past the caller's buffer.
TEST(SizesApiDeathTest, PixelsBeyondTheLimitNameTheArguments) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  unirep::testing::TempDir d;
  unirep::testing::write_image_model(d.file("image.safetensors"));
  EXPECT_EXIT(classify_huge_pixels(d.file("image.safetensors")),
              ::testing::ExitedWithCode(UNIREP_ERROR_INVALID_ARGUMENT),
              "pixels: width x height 65535 x 65535 is 4294836225 pixels, more than the limit of 178956970");
}

// An input whose largest activation alone is beyond what the process can get: refused from the
// shape, before the buffer is read.
TEST(SizesApiDeathTest, ABackboneInputBeyondMemoryIsOutOfMemoryBeforeReading) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(pool_beyond_memory(), ::testing::ExitedWithCode(UNIREP_ERROR_OUT_OF_MEMORY),
              "unirep_backbone_pooled: out of memory: input: shape 1 x 3 x 32768 x 32768 needs at least 40 GiB, more "
              "than the .* of memory this process can get");
}

// An input that passes the estimate but whose forward pass does not fit under the cap: LibTorch's
// allocator fails, and the C API says out of memory (the old code: an internal error).
TEST(SizesApiDeathTest, AFailedAllocationIsOutOfMemory) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(pool_past_the_cap(), ::testing::ExitedWithCode(UNIREP_ERROR_OUT_OF_MEMORY),
              "unirep_backbone_pooled: out of memory");
}
