#pragma once
// Several outputs, all or nothing (docs/reliability.md, "Several outputs"). While an
// OutputTransaction is open on a thread, every io::AtomicFile committed on that thread is complete
// and fsync'ed but not yet renamed into place; commit() then renames them all. If a rename fails
// part way, the files already replaced get their old content back (each old file is kept as a hard
// link until the end), so on any failure every earlier file at those paths is intact. Destroying
// the transaction without commit() removes the staged temporary files.
//
//   io::OutputTransaction outputs;
//   io::write_npy(a_path, a);
//   io::write_npy(b_path, b);
//   outputs.commit();          // both appear, or neither changes
//
// Outputs written in place (standard output, FIFOs, devices) cannot wait and are written at once.
#include <string>
#include <vector>

namespace unirep::io {

class OutputTransaction {
 public:
  OutputTransaction();
  ~OutputTransaction();
  OutputTransaction(const OutputTransaction&) = delete;
  OutputTransaction& operator=(const OutputTransaction&) = delete;

  void commit();
  size_t staged() const { return staged_.size(); }

  // The transaction open on this thread, or nullptr (for io::AtomicFile).
  static OutputTransaction* current();
  // Takes a finished temporary file (and its signal-cleanup slot) to rename over `target` at commit.
  void stage(std::string temp, std::string target, std::string shown_path, int cleanup_slot);

 private:
  struct Staged {
    std::string temp, target, shown_path;
    int cleanup_slot;
  };
  std::vector<Staged> staged_;
  OutputTransaction* outer_;
  bool committed_ = false;
};

}  // namespace unirep::io
