// concurrent_server: one loaded model answering requests from several worker threads, the way a
// service would. Workers take file names from a shared queue; each call runs on one intra-op
// thread, so N workers use N cores. At the end every file's answer is compared with a
// single-threaded pass: concurrency must not change a result.
//
//   concurrent_server MODEL.safetensors WORKERS FILE...
//
// Works with any audio classifier model file (swap the class for the other modalities).
#include <unirep/unirep.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s MODEL.safetensors WORKERS FILE...\n", argv[0]);
    return 2;
  }
  const int workers = std::atoi(argv[2]);
  if (workers < 1 || workers > 256) {
    std::fprintf(stderr, "concurrent_server: WORKERS must be 1..256\n");
    return 2;
  }
  const std::vector<std::string> files(argv + 3, argv + argc);
  try {
    unirep::RuntimeOptions options;
    options.threads = 1;  // one core per request; the workers give the parallelism
    const unirep::AudioClassifier model(argv[1], options);

    // The single-threaded answers.
    std::vector<std::string> expected;
    for (const auto& f : files) expected.push_back(model.classify_file(f, 1).top.at(0).label);

    // Each file requested 4 times, served by `workers` threads sharing `model`.
    const size_t requests = files.size() * 4;
    std::atomic<size_t> next{0};
    std::atomic<int> wrong{0}, failed{0};
    std::mutex print;
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int w = 0; w < workers; ++w)
      pool.emplace_back([&] {
        for (size_t r; (r = next++) < requests;) {
          const auto& file = files[r % files.size()];
          try {
            const auto label = model.classify_file(file, 1).top.at(0).label;
            if (label != expected[r % files.size()]) ++wrong;
          } catch (const unirep::Error& e) {
            std::lock_guard<std::mutex> lock(print);
            std::fprintf(stderr, "concurrent_server: %s\n", e.what());
            ++failed;
          }
        }
      });
    for (auto& t : pool) t.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%zu requests, %d workers: %.1f requests/s, %d different from single-threaded, %d failed\n", requests,
                workers, requests / s, wrong.load(), failed.load());
    return wrong || failed ? 1 : 0;
  } catch (const unirep::Error& e) {
    std::fprintf(stderr, "concurrent_server: %s (%s)\n", e.what(), unirep::status_name(e.code()));
    return 1;
  }
}
