#include "earlier_run_files.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace unirep::sdk {
namespace {

const char* const kRunFiles[] = {"checkpoint.pth", "best_deploy.safetensors", "metrics.jsonl", "run_config.json"};

}  // namespace

EarlierRunFiles::EarlierRunFiles(std::string dir) : dir_(std::move(dir)) {
  for (const char* name : kRunFiles) {
    Kept k{dir_ + "/" + name, ""};
    if (access(k.path.c_str(), F_OK) == 0) {
      k.aside = dir_ + "/." + name + ".earlier-run-" + std::to_string(getpid());
      if (std::rename(k.path.c_str(), k.aside.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        for (const auto& done : kept_)
          if (!done.aside.empty()) std::rename(done.aside.c_str(), done.path.c_str());
        kept_.clear();
        throw std::runtime_error(k.path + ": cannot keep the earlier run's file aside: " + why);
      }
    }
    kept_.push_back(k);
  }
  // A folder without an earlier run has nothing to protect: a failing run keeps its own last good
  // checkpoint there (docs/training.md, "Bad values").
  released_ = true;
  for (const auto& k : kept_) released_ &= k.aside.empty();
}

void EarlierRunFiles::release() {
  for (const auto& k : kept_)
    if (!k.aside.empty()) std::remove(k.aside.c_str());
  released_ = true;
}

std::string EarlierRunFiles::put_back() noexcept {
  if (released_) return "";
  released_ = true;
  bool any = false;
  for (const auto& k : kept_) {
    std::remove(k.path.c_str());  // what the failed run wrote
    if (!k.aside.empty()) any |= std::rename(k.aside.c_str(), k.path.c_str()) == 0;
  }
  try {
    return any ? dir_ + ": this run failed; the earlier run's files are back as they were" : "";
  } catch (...) {  // out of memory for the note: the files are back all the same
    return "";
  }
}

EarlierRunFiles::~EarlierRunFiles() {
  put_back();
}

}  // namespace unirep::sdk
