#include "staging_signals.h"

#include "models/io/signal_cleanup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>

namespace unirep::data_makers {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
constexpr int kNumSignals = sizeof(kSignals) / sizeof(kSignals[0]);
constexpr int kSlots = 8;
constexpr int kMaxDepth = 16;  // the data sets are three levels deep (split / class / file)

// One staging folder. state: 0 free, 2 live (read by the handler, so lock-free).
struct Slot {
  std::atomic<int> state{0};
  char path[PATH_MAX];
};
Slot g_slots[kSlots];

std::mutex g_mutex;  // registering, installing and restoring
int g_live = 0;
struct sigaction g_previous[kNumSignals];
bool g_installed[kNumSignals];

// Empties the open folder `dir` with async-signal-safe calls only (getdents64, unlinkat, openat):
// the handler runs while worker threads may still be writing.
void empty_folder(int dir, int depth) {
  alignas(dirent64) char buf[2048];
  lseek(dir, 0, SEEK_SET);
  for (ssize_t n; (n = getdents64(dir, buf, sizeof buf)) > 0;)
    for (ssize_t at = 0; at < n;) {
      const auto* e = reinterpret_cast<const dirent64*>(buf + at);
      at += e->d_reclen;
      const char* name = e->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
      if (unlinkat(dir, name, 0) == 0 || errno != EISDIR || depth >= kMaxDepth) continue;
      const int sub = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) continue;
      empty_folder(sub, depth + 1);
      close(sub);
      unlinkat(dir, name, AT_REMOVEDIR);
    }
}

void remove_folder(const char* path) {
  // Again while a worker thread adds a file between the listing and the rmdir.
  for (int attempt = 0; attempt < 16; ++attempt) {
    const int dir = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0) return;
    empty_folder(dir, 0);
    close(dir);
    if (rmdir(path) == 0) return;
  }
}

void on_signal(int sig, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  for (auto& slot : g_slots)
    if (slot.state.load() == 2) remove_folder(slot.path);
  errno = saved_errno;
  int i = 0;
  while (kSignals[i] != sig) ++i;
  const struct sigaction& before = g_previous[i];
  if (before.sa_flags & SA_SIGINFO) return before.sa_sigaction(sig, info, context);
  if (before.sa_handler != SIG_DFL) return before.sa_handler(sig);
  // Nothing was installed before: the usual cleanup, then die of the signal as the default would.
  io::remove_outputs_now();
  signal(sig, SIG_DFL);
  raise(sig);
}

bool is_ours(const struct sigaction& action) {
  return (action.sa_flags & SA_SIGINFO) && action.sa_sigaction == on_signal;
}

void install() {
  struct sigaction ours {};
  ours.sa_sigaction = on_signal;
  ours.sa_flags = SA_SIGINFO;
  sigemptyset(&ours.sa_mask);
  for (int sig : kSignals) sigaddset(&ours.sa_mask, sig);  // a second signal waits for the removal
  for (int i = 0; i < kNumSignals; ++i) {
    sigaction(kSignals[i], nullptr, &g_previous[i]);
    // An ignored signal (nohup's SIGHUP) stays ignored.
    g_installed[i] = (g_previous[i].sa_flags & SA_SIGINFO) || g_previous[i].sa_handler != SIG_IGN;
    if (g_installed[i]) sigaction(kSignals[i], &ours, nullptr);
  }
}

void restore() {
  for (int i = 0; i < kNumSignals; ++i) {
    struct sigaction now {};
    sigaction(kSignals[i], nullptr, &now);
    // A handler someone installed after ours (the trainer's graceful stop) stays.
    if (g_installed[i] && is_ours(now)) sigaction(kSignals[i], &g_previous[i], nullptr);
  }
}

}  // namespace

int remove_on_signal(const std::string& path) {
  if (path.size() >= PATH_MAX) return -1;
  std::lock_guard<std::mutex> lock(g_mutex);
  for (int i = 0; i < kSlots; ++i) {
    if (g_slots[i].state.load() != 0) continue;
    std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
    g_slots[i].state.store(2);
    if (g_live++ == 0) install();
    return i;
  }
  return -1;
}

void forget_on_signal(int slot) noexcept {
  if (slot < 0 || slot >= kSlots) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  g_slots[slot].state.store(0);
  if (--g_live == 0) restore();
}

}  // namespace unirep::data_makers
