#pragma once
// A data set appears whole or not at all (docs/reliability.md, "Files the user owns"): each data
// maker builds it in a hidden staging folder beside its destination, `.NAME.partial-XXXXXX` in the
// same parent (so the final rename is one atomic step on one file system), and puts it in place
// only when it is complete. A failure, an exception or a stopping signal (SIGINT, SIGTERM, SIGHUP,
// SIGPIPE) removes the staging folder; a signal then goes on to the handler that was there before
// (the CLI's io::remove_outputs_on_signals), so the process still dies of it. Only SIGKILL or a
// power cut can leave a staging folder behind; its hidden name says what it is.
#include <filesystem>
#include <string>
#include <vector>

namespace unirep::data_makers {

// What commit() does when the destination already holds files.
enum class WhenDestinationHoldsFiles {
  refuse,     // an error naming the destination (Fashion-MNIST, motions: checked before any work too)
  add_files,  // each staged file moves over its counterpart there; other files stay (keywords, shapes)
};

class StagingFolder {
 public:
  // Creates the staging folder beside `destination` (and the folders above it when missing).
  // Throws std::runtime_error naming `destination` when it is not a folder or the staging folder
  // cannot be made.
  StagingFolder(const std::string& destination, WhenDestinationHoldsFiles rule);
  // Removes the staging folder and everything in it unless commit() succeeded.
  ~StagingFolder();
  StagingFolder(const StagingFolder&) = delete;
  StagingFolder& operator=(const StagingFolder&) = delete;

  // Where the data set is built.
  const std::filesystem::path& path() const { return path_; }

  // Puts the data set in place: one rename onto the destination when it is missing or an empty
  // folder (it keeps that folder's permission bits); otherwise as the rule says, the files named
  // in `last` (relative paths, such as the split lists) moved after all others.
  void commit(const std::vector<std::string>& last = {});

 private:
  void add_files_to_destination(const std::vector<std::string>& last);

  std::filesystem::path destination_, path_;
  WhenDestinationHoldsFiles rule_;
  int signal_slot_ = -1;
  bool committed_ = false;
};

}  // namespace unirep::data_makers
