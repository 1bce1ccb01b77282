#include "sdk/image/image_labels.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace unirep::sdk {
namespace {

std::vector<std::string> split_lines(const std::string& text, const std::string& name) {
  std::vector<std::string> out;
  std::istringstream in(text);
  size_t blank_at = 0, line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (!blank_at) blank_at = line_no;
      continue;
    }
    if (blank_at) throw std::runtime_error(name + ":" + std::to_string(blank_at) + ": a blank line between labels");
    out.push_back(line);
  }
  if (out.empty()) throw std::runtime_error(name + ": no labels in the file");
  return out;
}

}  // namespace

const std::vector<std::string>& imagenet1k_labels() {
  static const std::vector<std::string> labels = split_lines(
#include "imagenet1k_labels.inc"
      , "imagenet1k_labels.txt");
  return labels;
}

std::vector<std::string> read_label_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the label file");
  std::ostringstream s;
  s << in.rdbuf();
  return split_lines(s.str(), path);
}

}  // namespace unirep::sdk
