#include "modalities/points/point_file_list.h"

#include "modalities/input/input_file.h"
#include "modalities/timeseries/series_csv.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>

namespace unirep::modalities {
namespace fs = std::filesystem;

namespace {

// A list file read whole within the input limits, so /dev/zero or a FIFO given as a list fails
// clearly instead of growing one endless line (docs/points.md, Limits).
std::istringstream open_list(const std::string& path) {
  return std::istringstream(read_input_bytes(path));
}

std::vector<std::string> read_lines(const fs::path& p) {
  std::istringstream in = open_list(p.string());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string find_shape_file(const fs::path& dir, const std::string& cls, const std::string& name,
                            const fs::path& list) {
  for (const char* ext : {".txt", ".ply", ".off", ".obj", ".xyz"}) {
    const fs::path p = dir / cls / (name + ext);
    std::error_code ec;
    if (fs::exists(p, ec)) return p.string();
  }
  throw std::runtime_error(list.string() + ": no file for shape '" + name + "' in " + (dir / cls).string());
}

}  // namespace

PointFileList list_point_dataset(const std::string& path) {
  PointFileList out;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const fs::path dir(path);
    out.labels = read_lines(dir / "shape_names.txt");
    std::map<std::string, int64_t> index;
    for (size_t i = 0; i < out.labels.size(); ++i) index[out.labels[i]] = static_cast<int64_t>(i);
    bool any = false;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string f = entry.path().filename().string();
      const bool train = f.size() > 10 && f.compare(f.size() - 10, 10, "_train.txt") == 0;
      const bool test = f.size() > 9 && f.compare(f.size() - 9, 9, "_test.txt") == 0;
      if (!train && !test) continue;
      any = true;
      for (const auto& name : read_lines(entry.path())) {
        const auto us = name.rfind('_');
        const std::string cls = us == std::string::npos ? name : name.substr(0, us);
        const auto it = index.find(cls);
        if (it == index.end())
          throw std::runtime_error(entry.path().string() + ": '" + name + "' is of a class not in shape_names.txt");
        (train ? out.train : out.test).push_back({find_shape_file(dir, cls, name, entry.path()), it->second});
      }
    }
    if (!any) throw std::runtime_error(path + ": no *_train.txt or *_test.txt split list");
    auto by_path = [](const PointItem& a, const PointItem& b) { return a.path < b.path; };
    std::sort(out.train.begin(), out.train.end(), by_path);
    std::sort(out.test.begin(), out.test.end(), by_path);
    return out;
  }
  // A CSV of path,label.
  std::istringstream in = open_list(path);
  const fs::path base = fs::path(path).parent_path();
  std::map<std::string, int64_t> index;
  size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    const auto cells = split_csv_line(line);
    if (cells.size() == 1 && cells[0].empty()) continue;
    if (cells.size() != 2) throw std::runtime_error(path + ":" + std::to_string(line_no) + ": expected path,label");
    if (line_no == 1 && cells[0] == "path") continue;
    fs::path p(cells[0]);
    if (p.is_relative()) p = base / p;
    if (!fs::exists(p, ec)) throw std::runtime_error(path + ":" + std::to_string(line_no) + ": no file " + p.string());
    auto it = index.find(cells[1]);
    if (it == index.end()) {
      it = index.emplace(cells[1], static_cast<int64_t>(out.labels.size())).first;
      out.labels.push_back(cells[1]);
    }
    out.train.push_back({p.string(), it->second});
  }
  if (out.train.empty()) throw std::runtime_error(path + ": no rows");
  return out;
}

std::array<float, 9> theta_phi_rotation(double theta, double phi) {
  auto axis_angle = [](double kx, double ky, double kz, double a) {
    const double c = std::cos(a), s = std::sin(a), t = 1 - c;
    return std::array<double, 9>{c + kx * kx * t,      kx * ky * t - kz * s, kx * kz * t + ky * s,
                                 ky * kx * t + kz * s, c + ky * ky * t,      ky * kz * t - kx * s,
                                 kz * kx * t - ky * s, kz * ky * t + kx * s, c + kz * kz * t};
  };
  const auto r1 = axis_angle(0, 0, 1, -theta);
  const auto r2 = axis_angle(std::sin(theta), -std::cos(theta), 0, -phi);
  std::array<float, 9> r{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      double v = 0;
      for (int k = 0; k < 3; ++k) v += r1[i * 3 + k] * r2[k * 3 + j];
      r[i * 3 + j] = static_cast<float>(v);
    }
  return r;
}

std::array<float, 9> test_rotation(int k) {
  return theta_phi_rotation((0.1 + 0.2375 * k) * M_PI, -0.35 * M_PI);
}

std::array<double, 9> uniform_rotation(std::mt19937_64& rng) {
  std::normal_distribution<double> G(0.0, 1.0);
  double q[4] = {G(rng), G(rng), G(rng), G(rng)};
  const double l = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  for (auto& x : q) x /= l;
  const double w = q[0], x = q[1], y = q[2], z = q[3];
  return {1 - 2 * (y * y + z * z), 2 * (x * y - w * z),     2 * (x * z + w * y),
          2 * (x * y + w * z),     1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
          2 * (x * z - w * y),     2 * (y * z + w * x),     1 - 2 * (x * x + y * y)};
}

}  // namespace unirep::modalities
