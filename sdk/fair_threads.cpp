#include "sdk/fair_threads.h"

#include "sdk/threads.h"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace unirep::sdk {

namespace {

// The CPUs of this process's affinity mask (empty where it cannot be read).
std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int i = 0; i < CPU_SETSIZE; ++i)
    if (CPU_ISSET(i, &set)) cpus.push_back(i);
  return cpus;
}

}  // namespace

FairThreads::FairThreads(int most, double interval_s)
    : cpus_(allowed_cpus()),
      most_(std::max(1, most)),
      cores_(cpus_.empty() ? std::max(1, static_cast<int>(std::thread::hardware_concurrency()))
                           : static_cast<int>(cpus_.size())),
      current_(most_),
      interval_s_(interval_s),
      last_(sample()) {}

FairThreads::~FairThreads() {
  try {
    if (current_ != most_) configure_threads(most_);
  } catch (...) {  // most_ was a valid count when it was set; nothing to report from a destructor
  }
}

FairThreads::Sample FairThreads::sample() const {
  Sample s;
  s.wall = std::chrono::steady_clock::now();
  // /proc/stat: "cpu ..." for the machine, then "cpuN user nice system idle iowait irq softirq steal
  // ..." per CPU, in clock ticks. The busy time of our CPUs (all of them when the mask is unknown).
  std::ifstream stat("/proc/stat");
  std::string line;
  double busy_ticks = 0;
  bool seen = false;
  while (std::getline(stat, line) && line.rfind("cpu", 0) == 0) {
    std::istringstream fields(line);
    std::string name;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    if (!(fields >> name >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal)) continue;
    const bool machine = name == "cpu";
    if (machine != cpus_.empty()) continue;
    if (!machine && !std::binary_search(cpus_.begin(), cpus_.end(), std::atoi(name.c_str() + 3))) continue;
    busy_ticks += user + nice + system + irq + softirq + steal;
    seen = true;
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  if (!seen || ticks <= 0) return s;
  s.machine_busy_s = busy_ticks / ticks;
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
