#include "models/io/output_transaction.h"

#include "models/io/format_error.h"

#include "cleanup_registry.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace unirep::io {
namespace {

thread_local OutputTransaction* t_current = nullptr;

// A hard link to the file at `target` under a fresh name beside it, or "" when there is no file
// to keep (a new output).
std::string keep_old_file(const std::string& target, const std::string& temp) {
  struct stat st;
  if (lstat(target.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return "";
  const std::string backup = temp + ".old";
  if (link(target.c_str(), backup.c_str()) != 0)
    throw FormatError(target, std::string("cannot keep the old file while replacing it: ") + std::strerror(errno));
  return backup;
}

struct Replaced {
  std::string target, backup;
  int backup_slot;
};

// Puts every replaced file back as it was (the new file is removed where there was none).
void roll_back(const std::vector<Replaced>& replaced) {
  for (auto it = replaced.rbegin(); it != replaced.rend(); ++it) {
    if (it->backup.empty())
      unlink(it->target.c_str());
    else
      std::rename(it->backup.c_str(), it->target.c_str());
    unregister_cleanup(it->backup_slot);
  }
}

void sync_directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
}

}  // namespace

OutputTransaction::OutputTransaction() : outer_(t_current) {
  t_current = this;
}

OutputTransaction::~OutputTransaction() {
  t_current = outer_;
  if (committed_) return;
  for (const auto& s : staged_) {
    unlink(s.temp.c_str());
    unregister_cleanup(s.cleanup_slot);
  }
}

OutputTransaction* OutputTransaction::current() {
  return t_current;
}

void OutputTransaction::stage(std::string temp, std::string target, std::string shown_path, int cleanup_slot) {
  staged_.push_back({std::move(temp), std::move(target), std::move(shown_path), cleanup_slot});
}

void OutputTransaction::commit() {
  if (committed_) throw std::logic_error("OutputTransaction committed twice");
  std::vector<Replaced> replaced;
  try {
    for (const auto& s : staged_) {
      std::string backup;
      int slot = -1;
      {
        CleanupSignalsHeld held;  // the backup link is never left unregistered by a signal
        backup = keep_old_file(s.target, s.temp);
        if (!backup.empty()) slot = register_backup_for_cleanup(backup.c_str(), s.target.c_str());
      }
      if (std::rename(s.temp.c_str(), s.target.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        if (!backup.empty()) unlink(backup.c_str());
        unregister_cleanup(slot);
        throw FormatError(s.shown_path, "cannot rename the temporary file into place: " + why);
      }
      replaced.push_back({s.target, backup, slot});
    }
  } catch (...) {
    roll_back(replaced);
    throw;  // the destructor removes the temporary files not yet renamed
  }
  committed_ = true;
  for (const auto& r : replaced) {
    if (!r.backup.empty()) unlink(r.backup.c_str());
    unregister_cleanup(r.backup_slot);
  }
  for (const auto& s : staged_) {
    unregister_cleanup(s.cleanup_slot);
    sync_directory_of(s.target);
  }
}

}  // namespace unirep::io
