#pragma once
// Threads that give way to other processes (docs/performance.md, "Under contention").
//
// OpenMP threads that wait for each other by spinning (libgomp's default, and what makes a lone
// process fast) fight any other busy process for the cores: on 2 cores, a training step beside one
// other training ran 4.5x slower, where the half of the machine actually lost would explain 2x.
// FairThreads watches how many cores other processes keep busy and runs the calling thread's
// LibTorch work on the cores left free: no more busy threads than free cores, so nobody spins on a
// core someone else needs. Two processes that both use it settle on sharing the cores; beside a
// process that does not give way and keeps every core busy, it stays at one thread.
// "The cores" are those this process may run on (its CPU affinity: a container's or taskset's
// share of a larger machine), and only their load counts.
#include <chrono>
#include <cstdint>
#include <vector>

namespace unirep::sdk {

class FairThreads {
 public:
  // `most`: the thread count when the machine is free (the caller's --threads). Every `interval_s`
  // of wall time update() measures the others' load over the interval just ended.
  explicit FairThreads(int most, double interval_s = 2.0);
  // Puts the calling thread back to `most` threads (call it where update() ran).
  ~FairThreads();
  FairThreads(const FairThreads&) = delete;
  FairThreads& operator=(const FairThreads&) = delete;

  // Call between units of work (training steps) on the thread that runs them: when an interval has
  // passed, sets LibTorch's threads on this thread to the free cores (at least 1, at most `most`).
  // Returns the count in effect. Costs one clock read otherwise.
  int update();
  int current() const { return current_; }

  // Cores other processes kept busy over the last interval (0 before the first one, or where
  // /proc/stat cannot be read: then the count stays at `most`).
  double others_busy_cores() const { return others_; }

 private:
  struct Sample {
    std::chrono::steady_clock::time_point wall;
    double machine_busy_s = 0;  // all cores' busy time since boot (/proc/stat)
    double self_s = 0;          // this process's CPU time (user + system)
    bool valid = false;
  };
  Sample sample() const;

  std::vector<int> cpus_;  // the CPUs this process may run on
  int most_, cores_, current_;
  double interval_s_, others_ = 0;
  Sample last_;
};

}  // namespace unirep::sdk
