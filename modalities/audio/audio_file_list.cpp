#include "modalities/audio/audio_file_list.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

namespace unirep::modalities {
namespace fs = std::filesystem;
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Relative paths as written in Speech Commands' lists ("yes/0a7c2a8d_nohash_0.wav").
std::set<std::string> read_list(const fs::path& file) {
  std::set<std::string> out;
  if (!fs::exists(file)) return out;
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file.string() + ": cannot read");
  for (std::string line; std::getline(in, line);)
    if (auto t = trim(line); !t.empty()) out.insert(fs::path(t).lexically_normal().generic_string());
  return out;
}

class LabelIndex {
 public:
  explicit LabelIndex(const std::vector<std::string>& fixed) : fixed_(!fixed.empty()), labels_(fixed) {
    for (size_t i = 0; i < labels_.size(); ++i) index_[labels_[i]] = static_cast<int>(i);
  }
  int get(const std::string& label, const std::string& where) {
    if (auto it = index_.find(label); it != index_.end()) return it->second;
    if (fixed_) throw std::runtime_error(where + ": label '" + label + "' is not one of the model's labels");
    index_[label] = static_cast<int>(labels_.size());
    labels_.push_back(label);
    return index_[label];
  }
  const std::vector<std::string>& labels() const { return labels_; }

 private:
  bool fixed_;
  std::vector<std::string> labels_;
  std::map<std::string, int> index_;
};

}  // namespace

bool looks_like_audio_file(const std::string& path) {
  static const std::set<std::string> ext = {".wav",  ".flac", ".ogg", ".oga",  ".opus", ".mp3", ".m4a",  ".aac", ".aif",
                                            ".aiff", ".caf",  ".w64", ".rf64", ".mp4",  ".mkv", ".webm", ".wma", ".au"};
  return ext.count(lower(fs::path(path).extension().string())) > 0;
}

AudioFileList list_class_folders(const std::string& dir, const std::vector<std::string>& fixed_labels) {
  if (!fs::is_directory(dir)) throw std::runtime_error(dir + ": not a folder");
  std::vector<std::string> class_dirs;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    // Speech Commands' _background_noise_ holds long recordings, not a class; its _unknown_ and
    // _silence_ are classes like any other (docs/audio.md, "The keyword data set").
    if (e.is_directory() && !name.empty() && name != "_background_noise_" && name[0] != '.') class_dirs.push_back(name);
  }
  std::sort(class_dirs.begin(), class_dirs.end());
  if (class_dirs.empty()) throw std::runtime_error(dir + ": no class folders (expected DIR/<label>/<clip>)");
  const auto validation = read_list(fs::path(dir) / "validation_list.txt");
  const auto testing = read_list(fs::path(dir) / "testing_list.txt");

  LabelIndex index(fixed_labels);
  AudioFileList out;
  for (const auto& label : class_dirs) {
    std::vector<std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(fs::path(dir) / label))
      if (e.is_regular_file() && looks_like_audio_file(e.path().string())) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty()) continue;
    const int id = index.get(label, (fs::path(dir) / label).string());
    for (const auto& f : files) {
      const auto rel = fs::path(f).lexically_relative(dir).lexically_normal().generic_string();
      AudioItem item{f, {id}};
      if (validation.count(rel))
        out.validation.push_back(item);
      else if (testing.count(rel))
        out.test.push_back(item);
      else
        out.train.push_back(item);
    }
  }
  out.labels = index.labels();
  if (out.train.empty() && out.validation.empty() && out.test.empty())
    throw std::runtime_error(dir + ": no audio files in the class folders");
  return out;
}

AudioFileList read_label_csv(const std::string& csv_path, const std::vector<std::string>& fixed_labels) {
  std::ifstream in(csv_path);
  if (!in) throw std::runtime_error(csv_path + ": cannot read");
  const fs::path base = fs::path(csv_path).parent_path();
  LabelIndex index(fixed_labels);
  AudioFileList out;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    const auto t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const auto comma = t.rfind(',');
    const std::string where = csv_path + ":" + std::to_string(line_no);
    if (comma == std::string::npos) throw std::runtime_error(where + ": expected 'path,label'");
    const auto path = trim(t.substr(0, comma)), labels = trim(t.substr(comma + 1));
    if (line_no == 1 && lower(path) == "path" && lower(labels) == "label") continue;  // header
    if (path.empty() || labels.empty()) throw std::runtime_error(where + ": empty path or label");
    AudioItem item;
    item.path = fs::path(path).is_absolute() ? path : (base / path).string();
    size_t start = 0;
    while (start <= labels.size()) {
      const auto end = labels.find(';', start);
      const auto one = trim(labels.substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (!one.empty()) item.labels.push_back(index.get(one, where));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    if (item.labels.size() > 1) out.multi_label = true;
    out.train.push_back(std::move(item));
  }
  if (out.train.empty()) throw std::runtime_error(csv_path + ": no rows");
  out.labels = index.labels();
  return out;
}

AudioFileList list_audio_dataset(const std::string& path, const std::vector<std::string>& fixed_labels) {
  if (fs::is_directory(path)) return list_class_folders(path, fixed_labels);
  if (!fs::exists(path)) throw std::runtime_error(path + ": no such file or folder");
  if (lower(fs::path(path).extension().string()) != ".csv")
    throw std::runtime_error(path + ": expected a folder of class folders or a .csv of path,label rows");
  return read_label_csv(path, fixed_labels);
}

std::string speech_commands_speaker(const std::string& path) {
  const std::string name = fs::path(path).filename().string();
  const auto at = name.find("_nohash_");
  return at == std::string::npos ? std::string() : name.substr(0, at);
}

}  // namespace unirep::modalities
