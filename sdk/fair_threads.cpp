#include "sdk/fair_threads.h"

#include "sdk/threads.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <thread>

namespace unirep::sdk {

FairThreads::FairThreads(int most, double interval_s)
    : most_(std::max(1, most)),
      cores_(std::max(1, static_cast<int>(std::thread::hardware_concurrency()))),
      current_(most_),
      interval_s_(interval_s),
      last_(sample()) {}

FairThreads::~FairThreads() {
  try {
    if (current_ != most_) configure_threads(most_);
  } catch (...) {  // most_ was a valid count when it was set; nothing to report from a destructor
  }
}

FairThreads::Sample FairThreads::sample() {
  Sample s;
  s.wall = std::chrono::steady_clock::now();
  // First line of /proc/stat: "cpu user nice system idle iowait irq softirq steal ...", in clock ticks.
  std::ifstream stat("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) || cpu != "cpu") return s;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  if (ticks <= 0) return s;
  s.machine_busy_s = (user + nice + system + irq + softirq + steal) / ticks;
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return s;
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  s.self_s = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  s.valid = true;
  return s;
}

int FairThreads::update() {
  const auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - last_.wall).count() < interval_s_) return current_;
  const Sample s = sample();
  const double wall = std::chrono::duration<double>(s.wall - last_.wall).count();
  if (s.valid && last_.valid && wall > 0) {
    // The machine's busy time counts ours too (spinning included): the rest is the others'.
    others_ = std::clamp(((s.machine_busy_s - last_.machine_busy_s) - (s.self_s - last_.self_s)) / wall, 0.0,
                         static_cast<double>(cores_));
    // A core counts as taken when another process kept it busy more than half the time.
    const int free_cores = cores_ - static_cast<int>(std::lround(others_));
    current_ = configure_threads(std::clamp(free_cores, 1, most_));
  }
  last_ = s;
  return current_;
}

}  // namespace unirep::sdk
