#include "staging_folder.h"

#include "staging_signals.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>

namespace unirep::data_makers {
namespace fs = std::filesystem;
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// The folder the data set goes to: absolute, without a trailing '/', and where a symbolic link
// points (the link stays, as io::AtomicFile treats links).
fs::path resolve_destination(const std::string& destination) {
  fs::path p = fs::absolute(destination).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  std::error_code ec;
  for (int hops = 0; hops < 40 && fs::is_symlink(p, ec); ++hops) {  // a dangling link too: its target is made
    const fs::path target = fs::read_symlink(p);
    p = (target.is_absolute() ? target : p.parent_path() / target).lexically_normal();
    if (!p.has_filename()) p = p.parent_path();
  }
  if (!p.has_filename()) fail(destination, "names no folder a data set can go to");
  if (fs::exists(p, ec) && !fs::is_directory(p, ec)) fail(destination, "exists and is not a folder");
  return p;
}

std::string random_suffix() {
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device device;
  std::string s(6, 'x');
  for (auto& c : s) c = kChars[device() % (sizeof kChars - 1)];
  return s;
}

// The empty folder the data set replaces keeps its permission bits (and, for root, its owner).
void take_attributes_of(const fs::path& from, const fs::path& to) {
  struct stat st;
  if (stat(from.c_str(), &st) != 0) return;
  chmod(to.c_str(), st.st_mode & 07777);
  const bool owner_kept = geteuid() != 0 || chown(to.c_str(), st.st_uid, st.st_gid) == 0;
  (void)owner_kept;  // a courtesy: the data set is complete either way
}

}  // namespace

StagingFolder::StagingFolder(const std::string& destination, WhenDestinationHoldsFiles rule)
    : destination_(resolve_destination(destination)), rule_(rule) {
  const fs::path parent = destination_.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) fail(destination, "cannot make the folder that holds it (" + ec.message() + ")");
  for (int attempt = 0; attempt < 100 && path_.empty(); ++attempt) {
    const fs::path candidate = parent / ("." + destination_.filename().string() + ".partial-" + random_suffix());
    if (mkdir(candidate.c_str(), 0777) == 0)
      path_ = candidate;  // the umask applies, as to any new folder
    else if (errno != EEXIST)
      fail(destination, std::string("cannot make a staging folder beside it (") + std::strerror(errno) + ")");
  }
  if (path_.empty()) fail(destination, "found no free name for a staging folder beside it");
  signal_slot_ = remove_on_signal(path_.string());
}

StagingFolder::~StagingFolder() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  forget_on_signal(signal_slot_);
}

void StagingFolder::commit(const std::vector<std::string>& last) {
  std::error_code ec;
  const bool exists = fs::exists(destination_, ec);
  if (exists && !fs::is_directory(destination_, ec)) fail(destination_.string(), "exists and is not a folder");
  const bool holds_files = exists && !fs::is_empty(destination_, ec);
  if (holds_files && rule_ == WhenDestinationHoldsFiles::refuse)
    fail(destination_.string(), "exists and holds something else; choose an empty or new folder");
  if (!holds_files) {
    if (exists) take_attributes_of(destination_, path_);
    // rename(2) replaces an empty folder in one step.
    if (std::rename(path_.c_str(), destination_.c_str()) == 0) {
      committed_ = true;
      return;
    }
    if (rule_ == WhenDestinationHoldsFiles::refuse || !exists)
      fail(destination_.string(), std::string("cannot put the data set in place (") + std::strerror(errno) + ")");
  }
  add_files_to_destination(last);
  committed_ = true;
  fs::remove_all(path_, ec);  // the folders the files left
}

void StagingFolder::add_files_to_destination(const std::vector<std::string>& last) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(path_))
    if (!e.is_directory()) files.push_back(e.path().lexically_relative(path_));
  std::stable_partition(files.begin(), files.end(), [&](const fs::path& f) {
    return std::find(last.begin(), last.end(), f.string()) == last.end();
  });
  for (const auto& relative : files) {
    const fs::path to = destination_ / relative;
    std::error_code ec;
    fs::create_directories(to.parent_path(), ec);
    if (std::rename((path_ / relative).c_str(), to.c_str()) != 0)
      fail(to.string(), std::string("cannot move the new file into place (") + std::strerror(errno) + ")");
  }
}

}  // namespace unirep::data_makers
