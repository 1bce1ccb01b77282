#include "models/io/signal_cleanup.h"

#include "cleanup_registry.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdio>
#include <cstring>
#include <pthread.h>

namespace unirep::io {
namespace {

// One entry per file a signal must deal with. state: 0 free, 1 being filled, 2 live.
struct Entry {
  std::atomic<int> state{0};
  char path[PATH_MAX];    // the temporary file, or the backup
  char target[PATH_MAX];  // for a backup: where it goes back; empty for a temporary file
};
constexpr int kEntries = 64;
Entry g_entries[kEntries];

int add(const char* path, const char* target) noexcept {
  if (std::strlen(path) >= PATH_MAX || std::strlen(target) >= PATH_MAX) return -1;
  for (int i = 0; i < kEntries; ++i) {
    int expected = 0;
    if (!g_entries[i].state.compare_exchange_strong(expected, 1)) continue;
    std::strcpy(g_entries[i].path, path);
    std::strcpy(g_entries[i].target, target);
    g_entries[i].state.store(2);
    return i;
  }
  return -1;
}

constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

void on_signal(int sig) {
  remove_outputs_now();
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

int register_temporary_for_cleanup(const char* path) noexcept {
  return add(path, "");
}
int register_backup_for_cleanup(const char* backup, const char* target) noexcept {
  return add(backup, target);
}
void unregister_cleanup(int slot) noexcept {
  if (slot >= 0 && slot < kEntries) g_entries[slot].state.store(0);
}

void remove_outputs_now() noexcept {
  // Backups first: a transaction stopped half way gets its old files back.
  for (auto& e : g_entries)
    if (e.state.load() == 2 && e.target[0] != '\0') std::rename(e.path, e.target);
  for (auto& e : g_entries)
    if (e.state.load() == 2 && e.target[0] == '\0') unlink(e.path);
}

void remove_outputs_on_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : kCleanupSignals) sigaction(sig, &sa, nullptr);
}

CleanupSignalsHeld::CleanupSignalsHeld() noexcept {
  sigset_t held;
  sigemptyset(&held);
  for (int sig : kCleanupSignals) sigaddset(&held, sig);
  pthread_sigmask(SIG_BLOCK, &held, &previous_);
}

CleanupSignalsHeld::~CleanupSignalsHeld() {
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

}  // namespace unirep::io
