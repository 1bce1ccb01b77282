#pragma once
// Which files make a labelled point-cloud dataset, in one of two layouts:
//  * ModelNet40's `modelnet40_normal_resampled` layout (and `unirep data shapes`): `shape_names.txt`
//    lists the classes; `*_train.txt` and `*_test.txt` list shape names `<class>_<id>`, whose file
//    is `<class>/<name>.txt` (or .ply, .off, .obj, .xyz);
//  * a CSV of `path,label` rows (paths relative to the CSV's folder unless absolute): all "train".
#include <array>
#include <random>
#include <cstdint>
#include <string>
#include <vector>

namespace unirep::modalities {

struct PointItem {
  std::string path;
  int64_t label = 0;
};

struct PointFileList {
  std::vector<std::string> labels;
  std::vector<PointItem> train, test;
};

// Throws std::runtime_error naming the file and problem (missing lists, unknown class, missing file).
PointFileList list_point_dataset(const std::string& path);

// The 3 x 3 rotations of the official augmentation (docs/reference.md, Point clouds): R1 rotates by
// -theta about z, R2 by -phi about (sin theta, -cos theta, 0); the result is R1 R2 (row-major).
std::array<float, 9> theta_phi_rotation(double theta, double phi);
// The k-th of the 8 fixed test rotations: phi = -0.35 pi, theta = (0.1 + 0.2375 k) pi.
std::array<float, 9> test_rotation(int k);
// A rotation uniform on SO(3) (row-major), from a unit quaternion of four standard normals drawn
// from `rng`: the shape generator's orientations and the training's --random-orientation.
std::array<double, 9> uniform_rotation(std::mt19937_64& rng);

}  // namespace unirep::modalities
