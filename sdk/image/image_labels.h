#pragma once
// Class names for image models: the ImageNet-1K names built into the SDK (from
// data/imagenet1k_labels.txt, in the class-index order of the official checkpoints), or a text
// file with one name per line.
#include <string>
#include <vector>

namespace unirep::sdk {

const std::vector<std::string>& imagenet1k_labels();

// Reads one label per line (blank lines at the end ignored). Throws "PATH: problem" if the file is
// missing, empty, or has a blank line between names.
std::vector<std::string> read_label_file(const std::string& path);

}  // namespace unirep::sdk
