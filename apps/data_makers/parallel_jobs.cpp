#include "parallel_jobs.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace unirep::data_makers {

void run_jobs(size_t count, int threads, const std::function<void(size_t)>& job,
              const std::function<void(size_t, size_t)>& progress) {
  std::atomic<size_t> next{0}, done{0};
  std::mutex mu;
  std::exception_ptr error;
  auto worker = [&]() {
    while (true) {
      const size_t i = next++;
      if (i >= count) return;
      try {
        job(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
        next = count;
        return;
      }
      const size_t d = ++done;
      if (progress) {
        std::lock_guard<std::mutex> lock(mu);
        progress(d, count);
      }
    }
  };
  const int n = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int t = 0; t < n; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace unirep::data_makers
