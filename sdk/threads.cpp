#include "sdk/threads.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

namespace unirep::sdk {

int max_threads() {
  return std::max(64, 4 * static_cast<int>(std::thread::hardware_concurrency()));
}

int configure_threads(int n) {
  if (n > max_threads())
    throw std::invalid_argument("threads: " + std::to_string(n) + " is more than the limit of " +
                                std::to_string(max_threads()) + " (4 x the cores, at least 64)");
  if (n <= 0) {
    // Workers of one local job (torchrun or --nproc set LOCAL_WORLD_SIZE) share the cores.
    int local = 1;
    if (const char* v = std::getenv("LOCAL_WORLD_SIZE")) local = std::max(1, std::atoi(v));
    n = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / local);
  }
  // LibTorch's count is per thread; setting it is skipped when it already holds, so per-call use
  // (the app-facing API sets it on every call) costs nothing in the steady state.
  if (at::get_num_threads() != n) at::set_num_threads(n);
  return at::get_num_threads();
}

}  // namespace unirep::sdk
