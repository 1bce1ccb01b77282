// Load: several threads share one loaded model per modality and classify for a fixed time. No
// call may fail, every answer must equal the single-threaded one, and the resident memory at the
// end must not have grown past warm-up (a leak per call would show as growth proportional to the
// calls made). UNIREP_LOAD_SECONDS (default 6) and UNIREP_LOAD_THREADS (default 4) make it a soak
// benchmark: it prints calls per second and RSS at start and end.
#include <unirep/unirep.hpp>

#include <support/test_models.h>

#include <support/test_support.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>
#include <unistd.h>
namespace {

double rss_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

double env_or(const char* name, double fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atof(v) : fallback;
}

bool same(const std::vector<unirep::LabelScore>& a, const std::vector<unirep::LabelScore>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].index != b[i].index || a[i].score != b[i].score) return false;
  return true;
}

}  // namespace

TEST(Load, SharedModelsUnderConcurrentCallsForAFixedTime) {
  unirep::testing::TempDir d;
  unirep::testing::write_audio_model(d.file("audio.safetensors"));
  unirep::testing::write_image_model(d.file("image.safetensors"));
  unirep::testing::write_point_model(d.file("points.safetensors"));
  const unirep::RuntimeOptions one_thread{1, "cpu", 8};
  const unirep::AudioClassifier audio(d.file("audio.safetensors"), one_thread);
  const unirep::ImageClassifier image(d.file("image.safetensors"), one_thread);
  const unirep::PointCloudRecognizer points(d.file("points.safetensors"), one_thread);

  // Inputs and their single-threaded answers.
  constexpr int kInputs = 5;
  std::mt19937 rng(9);
  std::normal_distribution<float> n(0.f, 1.f);
  std::vector<std::vector<float>> clips, clouds;
  std::vector<std::vector<uint8_t>> pictures;
  std::vector<std::vector<unirep::LabelScore>> audio_ref, image_ref, points_ref;
  for (int i = 0; i < kInputs; ++i) {
    std::vector<float> clip(16000 + 4000 * i);
    for (size_t k = 0; k < clip.size(); ++k) clip[k] = 0.2f * std::sin(0.05f * (i + 1) * k) + 0.05f * n(rng);
    std::vector<uint8_t> picture(48 * 40 * 3);
    for (auto& p : picture) p = static_cast<uint8_t>(rng() % 256);
    std::vector<float> cloud(3 * 150);
    for (auto& v : cloud) v = n(rng) * static_cast<float>(1 + i);
    audio_ref.push_back(audio.classify_samples(clip.data(), clip.size(), 1, 16000, 3).top);
    image_ref.push_back(image.classify_pixels(picture.data(), 48, 40, 0, 3));
    points_ref.push_back(points.recognize_points(cloud.data(), 150, 3));
    clips.push_back(std::move(clip));
    pictures.push_back(std::move(picture));
    clouds.push_back(std::move(cloud));
  }

  const double seconds = env_or("UNIREP_LOAD_SECONDS", 6);
  const int threads = static_cast<int>(env_or("UNIREP_LOAD_THREADS", 4));
  std::atomic<long> calls{0}, wrong{0}, failed{0};
  std::atomic<bool> stop{false};
  auto worker = [&](int t) {
    for (long r = t; !stop.load(std::memory_order_relaxed); ++r) {
      const int i = static_cast<int>(r % kInputs);
      try {
        switch (r % 3) {
          case 0:
            if (!same(audio.classify_samples(clips[i].data(), clips[i].size(), 1, 16000, 3).top, audio_ref[i])) ++wrong;
            break;
          case 1:
            if (!same(image.classify_pixels(pictures[i].data(), 48, 40, 0, 3), image_ref[i])) ++wrong;
            break;
          default:
            if (!same(points.recognize_points(clouds[i].data(), 150, 3), points_ref[i])) ++wrong;
        }
        ++calls;
      } catch (...) {
        ++failed;
      }
    }
  };
  // Warm-up: a fifth of the time, so allocator pools and caches reach their working size.
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds / 5));
  const double rss_start = rss_mb();
  const long calls_start = calls.load();
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds * 4 / 5));
  stop = true;
  for (auto& th : pool) th.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rss_end = rss_mb();
  const long measured = calls.load() - calls_start;
  std::printf("load: %d threads, %ld calls in %.1f s (%.1f calls/s), RSS %.1f -> %.1f MB\n", threads, measured, elapsed,
              measured / elapsed, rss_start, rss_end);

  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(measured, 3 * threads);
  // Growth allowance: fragmentation and late-touched pages, far below a per-call leak of even a
  // few KB over thousands of calls.
  EXPECT_LT(rss_end - rss_start, 48.0) << "resident memory grew from " << rss_start << " MB to " << rss_end << " MB";
}
