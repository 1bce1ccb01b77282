#pragma once
// Progress for long work: a one-line bar with rate and ETA when stderr is a terminal, plain
// periodic lines otherwise (logs, CI). The SDK prints nothing itself; the CLI draws this from
// what the SDK reports (docs/training.md, "Progress and cancelling"). Thread-compatible, not
// thread-safe: one owner updates it.
#include <chrono>
#include <cstdint>
#include <string>

namespace unirep::cli {

class ProgressBar {
 public:
  using Clock = std::chrono::steady_clock;
  // `total` items (0 if unknown), `unit` e.g. "batch", `label` printed before the bar. Rate, ETA
  // and elapsed time count from `started` (work that began before the bar was made).
  ProgressBar(std::string label, int64_t total, std::string unit = "it", double plain_interval_s = 10.0,
              Clock::time_point started = Clock::now());
  // Marks `done` items complete; `status` is appended (e.g. "loss 0.4123").
  void update(int64_t done, const std::string& status = "");
  // Prints the final line (always, terminal or not).
  void finish(const std::string& status = "");
  static bool stderr_is_terminal();

 private:
  void print(bool final);
  std::string label_, unit_, status_;
  int64_t total_, done_ = 0;
  double interval_;
  bool tty_;
  Clock::time_point start_, last_print_;
};

}  // namespace unirep::cli
