#include "shape_dataset.h"

#include "parallel_jobs.h"
#include "staging_folder.h"

#include "models/io/atomic_file.h"
#include "modalities/points/point_file.h"
#include "modalities/points/point_file_list.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <stdexcept>

namespace unirep::data_makers {
namespace fs = std::filesystem;
using Vec = std::array<double, 3>;

namespace {

constexpr double kPhi = 1.618033988749895;

Vec sub(const Vec& a, const Vec& b) {
  return {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
}
Vec cross(const Vec& a, const Vec& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double dot(const Vec& a, const Vec& b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
double norm(const Vec& a) {
  return std::sqrt(dot(a, a));
}

// The convex hull of a vertex set as triangles, coplanar faces fan-triangulated once (so a
// pentagon is covered exactly once and surface sampling stays uniform).
modalities::PointCloud convex_polyhedron(const std::vector<Vec>& v) {
  std::map<std::array<long, 4>, std::vector<size_t>> faces;  // plane key -> vertices on it
  std::map<std::array<long, 4>, Vec> normals;
  const size_t n = v.size();
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j)
      for (size_t k = j + 1; k < n; ++k) {
        Vec nrm = cross(sub(v[j], v[i]), sub(v[k], v[i]));
        const double len = norm(nrm);
        if (len < 1e-9) continue;
        for (auto& c : nrm) c /= len;
        double d = dot(nrm, v[i]);
        bool pos = false, neg = false;
        for (size_t m = 0; m < n; ++m) {
          const double s = dot(nrm, v[m]) - d;
          pos |= s > 1e-7;
          neg |= s < -1e-7;
        }
        if (pos && neg) continue;
        if (pos) {  // orient outwards
          for (auto& c : nrm) c = -c;
          d = -d;
        }
        const std::array<long, 4> key = {std::lround(nrm[0] * 1e6), std::lround(nrm[1] * 1e6),
                                         std::lround(nrm[2] * 1e6), std::lround(d * 1e6)};
        auto& f = faces[key];
        normals[key] = nrm;
        for (size_t m : {i, j, k})
          if (std::find(f.begin(), f.end(), m) == f.end()) f.push_back(m);
      }
  modalities::PointCloud mesh;
  for (const auto& p : v)
    mesh.xyz.push_back({static_cast<float>(p[0]), static_cast<float>(p[1]), static_cast<float>(p[2])});
  for (auto& [key, f] : faces) {
    Vec c = {0, 0, 0};
    for (size_t m : f)
      for (int a = 0; a < 3; ++a) c[a] += v[m][a] / static_cast<double>(f.size());
    const Vec nrm = normals[key];
    Vec u = sub(v[f[0]], c);
    u = {u[0] / norm(u), u[1] / norm(u), u[2] / norm(u)};
    const Vec w = cross(nrm, u);
    std::sort(f.begin(), f.end(), [&](size_t a, size_t b) {
      const Vec da = sub(v[a], c), db = sub(v[b], c);
      return std::atan2(dot(da, w), dot(da, u)) < std::atan2(dot(db, w), dot(db, u));
    });
    for (size_t t = 1; t + 1 < f.size(); ++t)
      mesh.triangles.push_back(
          {static_cast<uint32_t>(f[0]), static_cast<uint32_t>(f[t]), static_cast<uint32_t>(f[t + 1])});
  }
  return mesh;
}

std::vector<Vec> platonic_vertices(const std::string& name) {
  std::vector<Vec> v;
  if (name == "tetrahedron") return {{1, 1, 1}, {1, -1, -1}, {-1, 1, -1}, {-1, -1, 1}};
  if (name == "octahedron") return {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
  if (name == "cube" || name == "dodecahedron")
    for (int a : {-1, 1})
      for (int b : {-1, 1})
        for (int c : {-1, 1}) v.push_back({double(a), double(b), double(c)});
  if (name == "dodecahedron")
    for (double a : {-1.0, 1.0})
      for (double b : {-1.0, 1.0}) {
        v.push_back({0, a / kPhi, b * kPhi});
        v.push_back({a / kPhi, b * kPhi, 0});
        v.push_back({a * kPhi, 0, b / kPhi});
      }
  if (name == "icosahedron")
    for (double a : {-1.0, 1.0})
      for (double b : {-1.0, 1.0}) {
        v.push_back({0, a, b * kPhi});
        v.push_back({a, b * kPhi, 0});
        v.push_back({a * kPhi, 0, b});
      }
  return v;
}

// Uniform samples on the surface of one shape, in its own frame (not yet rotated).
std::vector<Vec> sample_shape(const std::string& cls, int count, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> U(0.0, 1.0);
  std::normal_distribution<double> G(0.0, 1.0);
  std::vector<Vec> out;
  out.reserve(static_cast<size_t>(count));
  auto disc = [&](double r, double z, std::vector<Vec>& o) {
    const double rr = r * std::sqrt(U(rng)), t = 2 * M_PI * U(rng);
    o.push_back({rr * std::cos(t), rr * std::sin(t), z});
  };
  if (cls == "sphere") {
    for (int i = 0; i < count; ++i) {
      Vec p = {G(rng), G(rng), G(rng)};
      const double l = norm(p);
      out.push_back({p[0] / l, p[1] / l, p[2] / l});
    }
  } else if (cls == "cylinder" || cls == "capsule") {
    const double r = 0.3 + 0.7 * U(rng), h = cls == "capsule" ? 0.5 + 1.5 * U(rng) : 0.4 + 2.0 * U(rng);
    const double side = 2 * M_PI * r * h, ends = cls == "capsule" ? 4 * M_PI * r * r : 2 * M_PI * r * r;
    for (int i = 0; i < count; ++i) {
      if (U(rng) * (side + ends) < side) {
        const double t = 2 * M_PI * U(rng);
        out.push_back({r * std::cos(t), r * std::sin(t), h * (U(rng) - 0.5)});
      } else if (cls == "cylinder") {
        disc(r, U(rng) < 0.5 ? -h / 2 : h / 2, out);
      } else {  // hemispherical caps
        Vec p = {G(rng), G(rng), G(rng)};
        const double l = norm(p);
        p = {p[0] / l * r, p[1] / l * r, p[2] / l * r};
        p[2] += p[2] >= 0 ? h / 2 : -h / 2;
        out.push_back(p);
      }
    }
  } else if (cls == "cone") {
    const double r = 0.4 + 0.8 * U(rng), h = 0.6 + 1.4 * U(rng);
    const double lateral = M_PI * r * std::sqrt(r * r + h * h), base = M_PI * r * r;
    for (int i = 0; i < count; ++i) {
      if (U(rng) * (lateral + base) < lateral) {
        const double t = std::sqrt(U(rng)), a = 2 * M_PI * U(rng);  // density grows with the radius
        out.push_back({r * t * std::cos(a), r * t * std::sin(a), h * (1 - t) - h / 3});
      } else {
        disc(r, -h / 3, out);
      }
    }
  } else if (cls == "torus") {
    const double R = 1.0, r = 0.15 + 0.45 * U(rng);
    while (static_cast<int>(out.size()) < count) {
      const double u = 2 * M_PI * U(rng), v = 2 * M_PI * U(rng);
      if (U(rng) * (R + r) > R + r * std::cos(v)) continue;  // area element (R + r cos v)
      out.push_back({(R + r * std::cos(v)) * std::cos(u), (R + r * std::cos(v)) * std::sin(u), r * std::sin(v)});
    }
  } else {
    std::vector<Vec> verts;
    if (cls == "box") {
      // Proportions that are clearly not a cube: the longest side at least 1.4 times the shortest.
      std::array<double, 3> s;
      do {
        for (auto& x : s) x = 0.3 + 1.2 * U(rng);
      } while (*std::max_element(s.begin(), s.end()) < 1.4 * *std::min_element(s.begin(), s.end()));
      for (const auto& p : platonic_vertices("cube")) verts.push_back({p[0] * s[0], p[1] * s[1], p[2] * s[2]});
    } else {
      verts = platonic_vertices(cls);
    }
    const auto mesh = convex_polyhedron(verts);
    const auto cloud = modalities::sample_mesh_surface(mesh, static_cast<size_t>(count), rng());
    for (const auto& p : cloud.xyz) out.push_back({p[0], p[1], p[2]});
  }
  return out;
}

// A uniformly random rotation, as its three rows.
std::array<Vec, 3> random_rotation(std::mt19937_64& rng) {
  const auto r = modalities::uniform_rotation(rng);
  return {{{r[0], r[1], r[2]}, {r[3], r[4], r[5]}, {r[6], r[7], r[8]}}};
}

void write_ply(const std::string& path, const std::vector<Vec>& points) {
  std::string bytes = "ply\nformat binary_little_endian 1.0\nelement vertex " + std::to_string(points.size()) +
                      "\nproperty float x\nproperty float y\nproperty float z\nend_header\n";
  for (const auto& p : points)
    for (double c : p) {
      const float f = static_cast<float>(c);
      bytes.append(reinterpret_cast<const char*>(&f), sizeof f);
    }
  io::AtomicFile out(path);
  out.write(bytes);
  out.commit();
}

}  // namespace

const std::vector<std::string>& shape_classes() {
  static const std::vector<std::string> c = {"box",      "capsule",      "cone",        "cube",
                                             "cylinder", "dodecahedron", "icosahedron", "octahedron",
                                             "sphere",   "tetrahedron",  "torus"};
  return c;
}

namespace {

// One shape of class `cls` as a scanner would see it: `points` surface samples scaled to the unit
// ball, randomly rotated, with surface noise, a random side cut away (half the shapes) and
// thinned along a random density gradient.
std::vector<Vec> scanned_shape(const std::string& cls, int points, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> U(0.0, 1.0);
  std::normal_distribution<double> G(0.0, 1.0);
  auto pts_in = sample_shape(cls, points, rng);
  // Normalize the shape's own size, then rotate.
  double rmax = 0;
  for (const auto& p : pts_in) rmax = std::max(rmax, norm(p));
  const auto R = random_rotation(rng);
  const double noise = 0.002 + 0.015 * U(rng);
  Vec cut_dir = {G(rng), G(rng), G(rng)}, dens_dir = {G(rng), G(rng), G(rng)};
  const double cl = norm(cut_dir), dl = norm(dens_dir);
  for (int a = 0; a < 3; ++a) cut_dir[a] /= cl, dens_dir[a] /= dl;
  const bool occlude = U(rng) < 0.5;
  const double cut = 0.4 + 0.6 * U(rng);      // keep points with p . dir < cut (up to ~30% gone)
  const double density = 1.5 + 3.0 * U(rng);  // thinning strength along dens_dir
  std::vector<Vec> out;
  for (const auto& p0 : pts_in) {
    Vec p = {p0[0] / rmax, p0[1] / rmax, p0[2] / rmax};
    Vec q = {dot(R[0], p), dot(R[1], p), dot(R[2], p)};
    if (occlude && dot(q, cut_dir) > cut) continue;
    const double keep = 1.0 / (1.0 + std::exp(-density * dot(q, dens_dir)));
    if (U(rng) > 0.25 + 0.75 * keep) continue;
    for (auto& c : q) c += noise * G(rng);
    out.push_back(q);
  }
  return out;
}

// Writes shape_names.txt, shapes_train.txt and shapes_test.txt, counts the shapes of each split
// into `summary`, and returns the lists' names. The lists appear with the shapes, and after them
// when added to a folder that held files.
std::vector<std::string> write_split_lists(const ShapeDataOptions& o, const fs::path& root, ShapeDataSummary& summary) {
  std::string names, train, test;
  const int n_test = std::max(1, static_cast<int>(std::lround(o.shapes_per_class * o.test_fraction)));
  for (const auto& c : shape_classes()) {
    names += c + "\n";
    for (int k = 0; k < o.shapes_per_class; ++k) {
      // The last shapes of each class are the test shapes (every shape is drawn independently).
      const bool is_test = k >= o.shapes_per_class - n_test;
      (is_test ? test : train) += c + "_" + std::to_string(k + 1) + "\n";
      ++(is_test ? summary.test : summary.train);
    }
  }
  const std::vector<std::string> lists = {"shape_names.txt", "shapes_train.txt", "shapes_test.txt"};
  for (const auto& [name, text] :
       {std::pair{lists[0], &names}, std::pair{lists[1], &train}, std::pair{lists[2], &test}}) {
    io::AtomicFile out((root / name).string());
    out.write(*text);
    out.commit();
  }
  return lists;
}

}  // namespace

ShapeDataSummary generate_shape_dataset(const ShapeDataOptions& o,
                                        const std::function<void(size_t, size_t)>& progress) {
  if (o.out_dir.empty()) throw std::invalid_argument("shape data: an output folder is required");
  if (o.shapes_per_class < 2 || o.points < 64 || !(o.test_fraction > 0 && o.test_fraction < 1))
    throw std::invalid_argument("shape data: at least 2 shapes per class, 64 points, and a test fraction in (0, 1)");
  const auto& classes = shape_classes();
  // Built beside OUT and put in place when complete (staging_folder.h); into a folder that holds
  // files already the shapes are added, as they always were.
  StagingFolder staging(o.out_dir, WhenDestinationHoldsFiles::add_files);
  const fs::path& root = staging.path();
  for (const auto& c : classes) fs::create_directories(root / c);
  const size_t per_class = static_cast<size_t>(o.shapes_per_class);
  run_jobs(
      classes.size() * per_class, o.threads,
      [&](size_t i) {
        const std::string& cls = classes[i / per_class];
        const size_t k = i % per_class;
        // Every shape's randomness derives from (seed, shape), so the data do not depend on threading.
        std::mt19937_64 rng(o.seed * 0x9E3779B97F4A7C15ULL + i * 104729 + 11);
        write_ply((root / cls / (cls + "_" + std::to_string(k + 1) + ".ply")).string(),
                  scanned_shape(cls, o.points, rng));
      },
      progress);
  ShapeDataSummary summary;
  staging.commit(write_split_lists(o, root, summary));
  return summary;
}

}  // namespace unirep::data_makers
