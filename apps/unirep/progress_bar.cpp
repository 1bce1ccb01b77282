#include "progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace unirep::cli {

namespace {
std::string duration(double s) {
  char buf[32];
  const int t = static_cast<int>(s + 0.5);
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%d:%02d", t / 60, t % 60);
  return buf;
}
}  // namespace

bool ProgressBar::stderr_is_terminal() {
  return isatty(STDERR_FILENO) == 1;
}

ProgressBar::ProgressBar(std::string label, int64_t total, std::string unit, double plain_interval_s,
                         Clock::time_point started)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      interval_(plain_interval_s),
      tty_(stderr_is_terminal()),
      start_(started),
      last_print_(started) {}

void ProgressBar::update(int64_t done, const std::string& status) {
  done_ = done;
  status_ = status;
  const auto now = Clock::now();
  const double since = std::chrono::duration<double>(now - last_print_).count();
  if (tty_ ? since >= 0.1 : since >= interval_) {
    last_print_ = now;
    print(false);
  }
}

void ProgressBar::finish(const std::string& status) {
  if (!status.empty()) status_ = status;
  print(true);
}

void ProgressBar::print(bool final) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  std::string eta = total_ > 0 && rate > 0 && done_ < total_ ? " eta " + duration((total_ - done_) / rate) : "";
  char counts[64];
  if (total_ > 0)
    std::snprintf(counts, sizeof counts, "%lld/%lld", (long long)done_, (long long)total_);
  else
    std::snprintf(counts, sizeof counts, "%lld", (long long)done_);
  char rate_s[48];
  std::snprintf(rate_s, sizeof rate_s, "%.2f %s/s", rate, unit_.c_str());
  if (tty_) {
    std::string bar;
    if (total_ > 0) {
      const int width = 24, filled = static_cast<int>(width * std::min<int64_t>(done_, total_) / total_);
      bar = "[" + std::string(filled, '#') + std::string(width - filled, '.') + "] ";
    }
    std::fprintf(stderr, "\r\033[K%s %s%s %s %s%s %s", label_.c_str(), bar.c_str(), counts, rate_s,
                 duration(elapsed).c_str(), eta.c_str(), status_.c_str());
    if (final) std::fputc('\n', stderr);
  } else {
    std::fprintf(stderr, "%s %s %s elapsed %s%s %s\n", label_.c_str(), counts, rate_s, duration(elapsed).c_str(),
                 eta.c_str(), status_.c_str());
  }
  std::fflush(stderr);
}

}  // namespace unirep::cli
