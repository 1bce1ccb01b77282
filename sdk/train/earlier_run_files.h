#pragma once
// Internal to the training engine: a fresh run (not a resume) into a folder that holds an earlier
// run's files keeps them aside until it ends (docs/training.md, "The output folder"). They are
// renamed to hidden names beside themselves, so the new run starts its own metrics.jsonl; a run
// that completes or stops resumably lets them go; a run that fails (an exception out of fit(),
// e.g. a diverging loss) removes what it wrote and puts them back, so every earlier file at those
// paths is intact. A folder with no earlier file is left to the run (a failing run keeps its own
// last good checkpoint).
#include <string>
#include <vector>

namespace unirep::sdk::train {

class EarlierRunFiles {
 public:
  // The run's files in `dir`: checkpoint.pth, best_deploy.safetensors, metrics.jsonl.
  explicit EarlierRunFiles(std::string dir);
  ~EarlierRunFiles();
  EarlierRunFiles(const EarlierRunFiles&) = delete;
  EarlierRunFiles& operator=(const EarlierRunFiles&) = delete;

  // The run ended well (or stopped resumably): the earlier files are deleted.
  void release();

 private:
  struct Kept {
    std::string path, aside;  // aside empty: there was no earlier file
  };
  std::string dir_;
  std::vector<Kept> kept_;
  bool released_ = false;
};

}  // namespace unirep::sdk::train
