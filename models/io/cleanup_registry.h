#pragma once
// Internal to unirep::io: the table of files a signal handler must deal with (see
// models/io/signal_cleanup.h). Fixed-size and lock-free so the handler may read it.
#include <signal.h>

namespace unirep::io {

// A temporary file to remove; returns a slot, or -1 when the table is full (the file then just
// is not cleaned up on a signal).
int register_temporary_for_cleanup(const char* path) noexcept;
// A backup (a hard link to the old content of `target`) to rename back over `target`.
int register_backup_for_cleanup(const char* backup, const char* target) noexcept;
void unregister_cleanup(int slot) noexcept;

// Holds back the signals the cleanup handles (SIGINT, SIGTERM, SIGHUP, SIGPIPE) in this thread
// while alive: a file created and registered under it is never left unregistered by a signal
// arriving between the two steps; a held-back signal arrives when the scope ends.
class CleanupSignalsHeld {
 public:
  CleanupSignalsHeld() noexcept;
  ~CleanupSignalsHeld();
  CleanupSignalsHeld(const CleanupSignalsHeld&) = delete;
  CleanupSignalsHeld& operator=(const CleanupSignalsHeld&) = delete;

 private:
  sigset_t previous_;
};

}  // namespace unirep::io
