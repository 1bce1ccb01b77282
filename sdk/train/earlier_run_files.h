#pragma once
// Internal to the training engine: a fresh run (not a resume) into a folder that holds an earlier
// run's files keeps them aside until it ends (docs/training.md, "The output folder"). They are
// renamed to hidden names beside themselves, so the new run starts its own metrics.jsonl; a run
// that completes or stops resumably lets them go; a run that fails (an exception out of fit(),
// e.g. a diverging loss) removes what it wrote and puts them back, so every earlier file at those
// paths is intact. A folder with no earlier file is left to the run (a failing run keeps its own
// last good checkpoint). It prints nothing: put_back() returns the note for a person, which the
// trainer reports through its progress callback (docs/training.md, "Progress and cancelling").
#include <string>
#include <vector>

namespace unirep::sdk {

class EarlierRunFiles {
 public:
  // The run's files in `dir`: checkpoint.pth, best_deploy.safetensors, metrics.jsonl.
  explicit EarlierRunFiles(std::string dir);
  // Without release() or put_back() (an exception left before either could run), puts the files
  // back silently: a destructor that runs while an exception unwinds must not call out.
  ~EarlierRunFiles();
  EarlierRunFiles(const EarlierRunFiles&) = delete;
  EarlierRunFiles& operator=(const EarlierRunFiles&) = delete;

  // The run ended well (or stopped resumably): the earlier files are deleted.
  void release();
  // The run failed: what it wrote is removed and the earlier files are renamed back. Returns
  // "DIR: this run failed; the earlier run's files are back as they were", or "" when there was
  // nothing to put back (or it was released already).
  std::string put_back() noexcept;

 private:
  struct Kept {
    std::string path, aside;  // aside empty: there was no earlier file
  };
  std::string dir_;
  std::vector<Kept> kept_;
  bool released_ = false;
};

}  // namespace unirep::sdk
