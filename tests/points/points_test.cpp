// Point clouds: farthest point sampling against the plain version, normalization, each reader on
// small generated files and on hostile ones, mesh surface sampling, and the preprocess CLI.
#include "models/io/npy.h"
#include "modalities/points/farthest_point_sampling.h"
#include "modalities/points/normalize.h"
#include "modalities/points/point_file.h"
#include "modalities/points/point_input.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "support/test_support.h"

namespace {
using unirep::testing::TempDir;

std::vector<std::array<float, 3>> random_cloud(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0, 1);
  std::vector<std::array<float, 3>> v(n);
  for (auto& p : v) p = {g(rng), g(rng) * 0.5f, g(rng) * 2.0f};
  return v;
}

std::string error_of(const std::string& path) {
  try {
    unirep::modalities::read_point_file(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

std::string write(const TempDir& d, const std::string& name, const std::string& bytes) {
  unirep::testing::write_bytes(d.file(name), bytes);
  return d.file(name);
}

const char* kCubeOff =
    "OFF\n8 6 0\n"
    "0 0 0\n1 0 0\n1 1 0\n0 1 0\n0 0 1\n1 0 1\n1 1 1\n0 1 1\n"
    "4 0 3 2 1\n4 4 5 6 7\n4 0 1 5 4\n4 2 3 7 6\n4 1 2 6 5\n4 0 4 7 3\n";

TEST(FarthestPointSampling, MatchesThePlainVersion) {
  const auto cloud = random_cloud(5000, 3);
  const auto fast = unirep::modalities::farthest_point_sampling(cloud, 700);
  const auto plain = unirep::modalities::farthest_point_sampling_reference(cloud, 700);
  ASSERT_EQ(fast.size(), 700u);
  EXPECT_EQ(fast, plain);
  EXPECT_EQ(fast[0], 0u);  // starts from the first point, as the official op (docs/reference.md, Point clouds)
  EXPECT_EQ(std::set<uint32_t>(fast.begin(), fast.end()).size(), fast.size());
  // Asking for all (or more) points returns each once.
  const auto all = unirep::modalities::farthest_point_sampling(random_cloud(10, 1), 20);
  ASSERT_EQ(all.size(), 10u);
  EXPECT_EQ(all.back(), 9u);
}

TEST(FarthestPointSampling, TiesGoToTheLowestIndex) {
  // Points 2 and 3 are both 25 from point 0: 2 is taken. Then points 1 and 4 are both at 1 from
  // the chosen set: 1 is taken.
  std::vector<std::array<float, 3>> c = {{0, 0, 0}, {1, 0, 0}, {5, 0, 0}, {5, 0, 0}, {-1, 0, 0}};
  const auto idx = unirep::modalities::farthest_point_sampling(c, 3);
  EXPECT_EQ(idx, (std::vector<uint32_t>{0, 2, 1}));
}

TEST(Normalize, CentroidAndUnitSphereAndModelNetAxes) {
  unirep::modalities::PointCloud c;
  c.xyz = random_cloud(1000, 5);
  auto copy = c;
  unirep::modalities::normalize_points(c);
  double m[3] = {0, 0, 0}, r = 0;
  for (const auto& p : c.xyz) {
    for (int a = 0; a < 3; ++a) m[a] += p[a];
    r = std::max(r, std::sqrt(double(p[0]) * p[0] + double(p[1]) * p[1] + double(p[2]) * p[2]));
  }
  for (double v : m) EXPECT_NEAR(v / 1000, 0.0, 1e-5);
  EXPECT_NEAR(r, 1.0, 1e-5);
  unirep::modalities::normalize_points(copy, {true});
  EXPECT_FLOAT_EQ(copy.xyz[7][0], -c.xyz[7][2]);
  EXPECT_FLOAT_EQ(copy.xyz[7][1], -c.xyz[7][0]);
  EXPECT_FLOAT_EQ(copy.xyz[7][2], c.xyz[7][1]);
  unirep::modalities::PointCloud empty;
  EXPECT_THROW(unirep::modalities::normalize_points(empty), std::invalid_argument);
}

TEST(PointFiles, OffMeshAndModelNetHeaderAndSurfaceSampling) {
  TempDir d;
  const auto cube = unirep::modalities::read_point_file(write(d, "cube.off", kCubeOff));
  EXPECT_EQ(cube.size(), 8u);
  EXPECT_EQ(cube.triangles.size(), 12u);  // six quads, two triangles each
  // ModelNet's files glue the vertex count to "OFF".
  std::string glued = kCubeOff;
  glued.replace(0, 6, "OFF8 ");
  EXPECT_EQ(unirep::modalities::read_point_file(write(d, "glued.off", glued)).triangles.size(), 12u);
  // As found in CGAL's data: comments before and inside, COFF with colours after each vertex/face.
  const auto coff =
      unirep::modalities::read_point_file(write(d, "c.off",
                                                "# made by a tool\nCOFF\n3 1 0 # counts\n0 0 0 255 0 0 255\n"
                                                "1 0 0 0 255 0 255\n0 1 0 0 0 255 255\n3 0 1 2 9 9 9\n"));
  EXPECT_EQ(coff.size(), 3u);
  EXPECT_EQ(coff.triangles.size(), 1u);
  EXPECT_FLOAT_EQ(coff.xyz[1][0], 1.0f);
  // Uniform on the surface: every sample lies on a face of the unit cube, about 1/6 on each.
  const auto s = unirep::modalities::sample_mesh_surface(cube, 6000, 1);
  int on_bottom = 0;
  for (const auto& p : s.xyz) {
    float dist = 1;
    for (int a = 0; a < 3; ++a) dist = std::min({dist, std::abs(p[a]), std::abs(p[a] - 1)});
    EXPECT_LT(dist, 1e-5);
    on_bottom += std::abs(p[2]) < 1e-6;
  }
  EXPECT_NEAR(on_bottom / 6000.0, 1.0 / 6, 0.03);
  // Through the whole input path: 64 points in the unit sphere.
  unirep::modalities::PointInputOptions o;
  o.points = 64;
  const auto x = unirep::modalities::load_point_input(d.file("cube.off"), o);
  ASSERT_EQ(x.sizes(), (at::IntArrayRef{64, 3}));
  EXPECT_LE(x.norm(2, 1).max().item<float>(), 1.0f + 1e-5f);
}

TEST(PointFiles, PlyAsciiAndBinaryAndObjAndXyz) {
  TempDir d;
  const std::string ascii =
      "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
      "element face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n";
  const auto a = unirep::modalities::read_point_file(write(d, "a.ply", ascii));
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(a.triangles.size(), 1u);

  std::string bin =
      "ply\nformat binary_little_endian 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\n"
      "property double nx\nproperty double ny\nproperty double nz\nend_header\n";
  for (int v = 0; v < 2; ++v) {
    float p[3] = {1.5f * v, 2.0f, -3.0f};
    double n[3] = {0, 0, 1};
    bin.append(reinterpret_cast<const char*>(p), sizeof p);
    bin.append(reinterpret_cast<const char*>(n), sizeof n);
  }
  const auto b = unirep::modalities::read_point_file(write(d, "b.ply", bin));
  ASSERT_EQ(b.size(), 2u);
  EXPECT_FLOAT_EQ(b.xyz[1][0], 1.5f);
  ASSERT_EQ(b.normals.size(), 2u);
  EXPECT_FLOAT_EQ(b.normals[1][2], 1.0f);
  // A damaged header that lost "nx" (ny and nz alone) is read without normals, never written past them.
  std::string half = bin;
  half.replace(half.find("double nx"), 9, "double mx");
  const auto h = unirep::modalities::read_point_file(write(d, "half.ply", half));
  ASSERT_EQ(h.size(), 2u);
  EXPECT_FLOAT_EQ(h.xyz[1][0], 1.5f);
  EXPECT_TRUE(h.normals.empty());
  // Truncated binary data is an error, not a read past the end.
  const auto e = error_of(write(d, "cut.ply", bin.substr(0, bin.size() - 7)));
  EXPECT_NE(e.find("cut.ply"), std::string::npos) << e;

  const auto o = unirep::modalities::read_point_file(
      write(d, "t.obj", "# tri\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1/1/1 2/2/2 3/3/3\nf -3 -2 -1\n"));
  EXPECT_EQ(o.size(), 3u);
  EXPECT_EQ(o.triangles.size(), 2u);

  const auto x = unirep::modalities::read_point_file(
      write(d, "p.txt", "x,y,z,nx,ny,nz\n0,0,0,0,0,1\n1,2,3,0,1,0\nnan,0,0,0,0,1\n4,5,6,1,0,0\n"));
  EXPECT_EQ(x.size(), 3u);
  EXPECT_EQ(x.dropped_non_finite, 1u);
  EXPECT_EQ(x.normals.size(), 3u);
  EXPECT_FLOAT_EQ(x.xyz[2][2], 6.0f);
}

TEST(PointFiles, HostileFilesGiveClearErrors) {
  TempDir d;
  auto expect_error = [&](const std::string& name, const std::string& bytes, const std::string& what) {
    const auto e = error_of(write(d, name, bytes));
    EXPECT_NE(e.find(name), std::string::npos) << name << ": " << e;
    EXPECT_NE(e.find(what), std::string::npos) << name << ": " << e;
  };
  expect_error("huge.off", "OFF\n1000000000000 0 0\n0 0 0\n", "more than the file holds");
  expect_error(
      "huge.ply",
      "ply\nformat binary_little_endian 1.0\nelement vertex 1000000000000\nproperty float x\nend_header\n\x01\x02",
      "more than the file holds");
  expect_error("face.off", "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n", "names vertex 7");
  expect_error("short.off", "OFF\n3 0 0\n0 0 0\n1 0\n0 1 0\n", "a vertex needs three coordinates");
  expect_error("missing.off", "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n", "more than the file holds");
  expect_error("letters.xyz", "1 2 3\n4 five 6\n", "'five' is not a number");
  expect_error("ragged.xyz", "1 2 3\n4 5 6 7\n", "earlier rows have 3");
  expect_error("nan.xyz", "nan nan nan\nnan 0 0\n", "every point is NaN");
  expect_error("empty.ply", "", "the file is empty");
  expect_error("noheader.ply", "ply\nformat ascii 1.0\n", "without end_header");
  // Found by fuzzing (scripts/fuzz): elements without properties promise rows of no bytes.
  expect_error("noprops.ply", "ply\nformat ascii 1.0\nelement vertex 666666666646\nend_header\n0 0 0\n",
               "element 'vertex' has no properties");
  expect_error("noxyz.ply", "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nend_header\n0\n",
               "no x, y and z");
  expect_error("emptyface.ply",
               "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nelement "
               "face 999999999999\nend_header\n0 0 0\n",
               "element 'face' has no properties");
  const std::string tri =
      "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
      "element face 1\nproperty list float int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n";
  expect_error("nancount.ply", tri + "nan 0 1 2\n", "a list of nan entries");
  expect_error("nanindex.ply", tri + "3 0 nan 2\n", "is not a vertex index");
}

TEST(PreprocessPointsCli, WritesTheSampledPointsAndRefusesBadFiles) {
  TempDir d;
  write(d, "cube.off", kCubeOff);
  auto r = unirep::testing::run_cli(
      {"preprocess", "points", d.file("cube.off"), "--points", "128", "--output-npy", d.file("x.npy")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto x = unirep::io::read_npy(d.file("x.npy"));
  EXPECT_EQ(x.sizes(), (at::IntArrayRef{128, 3}));
  write(d, "bad.xyz", "1 2 3\nnope\n");
  auto bad = unirep::testing::run_cli({"preprocess", "points", d.file("bad.xyz"), "--output-npy", d.file("y.npy")});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("bad.xyz:2"), std::string::npos) << bad.output;
  EXPECT_FALSE(unirep::testing::file_exists(d.file("y.npy")));
}

}  // namespace

namespace {
// Real meshes and scans shipped by Debian (libcgal-demo's data: cubes, spheres, tori, animals, CAD
// parts in OFF with comments, COFF colours and polygons, and PLY; laser and synthetic scans in XYZ,
// PWN (points with normals) and PLY): every one must load and sample.
TEST(RealMeshes, EveryCgalDataMeshAndScanLoadsAndSamples) {
  const std::string archive = "/usr/share/doc/libcgal-dev/data.tar.gz";
  if (!unirep::testing::file_exists(archive)) {
    if (unirep::testing::ci_mode()) FAIL() << archive << " is missing (CI=true): apt-get install libcgal-demo";
    GTEST_SKIP() << archive << " is missing: apt-get install libcgal-demo";
  }
  TempDir d;
  const std::string cmd = "tar xzf " + archive + " -C " + d.path() +
                          " --wildcards 'data/meshes/*.off' 'data/meshes/*.ply' 'data/points_3/*' 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  unirep::modalities::PointInputOptions o;
  o.points = 256;
  o.surface_points = 1024;
  for (const char* folder : {"data/meshes", "data/points_3"}) {
    size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(d.file(folder))) {
      const auto path = entry.path().string();
      SCOPED_TRACE(path);
      at::Tensor x;
      ASSERT_NO_THROW(x = unirep::modalities::load_point_input(path, o));
      EXPECT_EQ(x.size(1), 3);
      EXPECT_GE(x.size(0), 3);  // two example PLY files hold 3 points
      EXPECT_LE(x.norm(2, 1).max().item<float>(), 1.0f + 1e-4f);
      ++files;
    }
    EXPECT_GT(files, std::string(folder) == "data/meshes" ? 100u : 25u) << folder;
  }
}
}  // namespace
