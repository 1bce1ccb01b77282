#pragma once
// The one exception type every file reader and writer in unirep::io throws.
//
// Its message always starts with the file's path, then says what is wrong, so the CLI can print it
// as its one-line reason: "weights.pth: record 'archive/data/3' is 64 bytes, tensor needs 256".
#include <stdexcept>
#include <string>

namespace unirep::io {

class FormatError : public std::runtime_error {
 public:
  FormatError(const std::string& path, const std::string& problem)
      : std::runtime_error(path + ": " + problem), path_(path), problem_(problem) {}
  const std::string& path() const { return path_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string path_;
  std::string problem_;
};

}  // namespace unirep::io
