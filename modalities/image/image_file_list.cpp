#include "modalities/image/image_file_list.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

namespace unirep::modalities {
namespace {
namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& path, const std::string& what, size_t line = 0) {
  throw std::runtime_error(path + (line ? ":" + std::to_string(line) : std::string()) + ": " + what);
}

bool has_extension(const fs::path& p, const std::vector<std::string>& extensions) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(extensions.begin(), extensions.end(), e) != extensions.end();
}

std::vector<std::string> class_folders(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string()[0] != '.') names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<ImageItem> list_split(const fs::path& dir, const std::vector<std::string>& labels, bool classes_must_match,
                                  const std::vector<std::string>& extensions) {
  std::vector<ImageItem> items;
  for (const auto& name : class_folders(dir)) {
    const auto it = std::find(labels.begin(), labels.end(), name);
    if (it == labels.end()) {
      if (classes_must_match) fail(dir.string(), "class folder '" + name + "' is not one of train/'s classes");
      continue;
    }
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir / name))
      if (e.is_regular_file() && has_extension(e.path(), extensions)) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (auto& f : files) items.push_back({std::move(f), it - labels.begin()});
  }
  return items;
}

ImageFileList from_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, "cannot open the CSV file");
  const fs::path base = fs::path(path).parent_path();
  std::vector<std::pair<std::string, std::string>> rows;
  size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto comma = line.rfind(',');
    if (comma == std::string::npos || comma == 0 || comma + 1 == line.size())
      fail(path, "expected 'path,label'", line_no);
    std::string file = line.substr(0, comma), label = line.substr(comma + 1);
    if (line_no == 1 && file == "path" && label == "label") continue;
    const fs::path p = fs::path(file).is_absolute() ? fs::path(file) : base / file;
    std::error_code ec;  // a loop of links is "does not exist" too, not a filesystem_error
    if (!fs::is_regular_file(p, ec)) fail(path, "'" + p.string() + "' does not exist", line_no);
    rows.emplace_back(p.string(), label);
  }
  if (rows.empty()) fail(path, "no rows in the CSV file");
  ImageFileList list;
  for (const auto& r : rows) list.labels.push_back(r.second);
  std::sort(list.labels.begin(), list.labels.end());
  list.labels.erase(std::unique(list.labels.begin(), list.labels.end()), list.labels.end());
  for (const auto& r : rows)
    list.train.push_back({r.first, std::find(list.labels.begin(), list.labels.end(), r.second) - list.labels.begin()});
  return list;
}

}  // namespace

ImageFileList list_image_dataset(const std::string& path) {
  return list_labelled_files(
      path, {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".ppm", ".pgm", ".pnm", ".qoi"});
}

ImageFileList list_labelled_files(const std::string& path, const std::vector<std::string>& extensions) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return from_csv(path);
  if (!fs::is_directory(path, ec)) fail(path, "no such folder or CSV file");
  ImageFileList list;
  const fs::path root(path);
  const bool imagenet = fs::is_directory(root / "train");
  const fs::path train = imagenet ? root / "train" : root;
  list.labels = class_folders(train);
  if (list.labels.empty()) fail(train.string(), "no class folders in it");
  list.train = list_split(train, list.labels, true, extensions);
  if (list.train.empty()) {
    std::string kinds;
    for (size_t i = 0; i < extensions.size() && i < 4; ++i) kinds += (i ? ", " : "") + extensions[i];
    fail(train.string(), "no files of the expected kinds (" + kinds + ", ...) in its class folders");
  }
  if (imagenet) {
    for (const char* v : {"val", "validation"})
      if (fs::is_directory(root / v)) {
        list.validation = list_split(root / v, list.labels, true, extensions);
        break;
      }
    if (fs::is_directory(root / "test")) list.test = list_split(root / "test", list.labels, true, extensions);
  }
  return list;
}

}  // namespace unirep::modalities
