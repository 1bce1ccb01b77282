// recognize_points: what shape a point cloud or mesh is (PLY, PCD, OFF, OBJ, XYZ).
//
//   recognize_points shapes.safetensors cloud.ply [more ...]
//
// The model file comes from `unirep train points`. Also shows the in-memory path: a unit sphere
// sampled by the program itself.
#include <unirep/unirep.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.safetensors [POINT_FILE...]\n", argv[0]);
    return 2;
  }
  try {
    const unirep::PointCloudRecognizer recognizer(argv[1]);
    int failed = 0;
    for (int i = 2; i < argc; ++i) {
      try {
        const auto top = recognizer.recognize_file(argv[i], 3, /*all_rotations=*/true);
        std::printf("%s:", argv[i]);
        for (const auto& s : top) std::printf(" %s %.3f", s.label.c_str(), s.score);
        std::printf("\n");
      } catch (const unirep::Error& e) {
        std::fprintf(stderr, "recognize_points: %s\n", e.what());
        ++failed;
      }
    }
    // Points from memory: 2000 points on a sphere (a Fibonacci lattice).
    std::vector<float> xyz;
    const int n = 2000;
    for (int k = 0; k < n; ++k) {
      const double z = 1 - 2 * (k + 0.5) / n, r = std::sqrt(1 - z * z), phi = k * 2.399963229728653;
      xyz.insert(xyz.end(),
                 {static_cast<float>(r * std::cos(phi)), static_cast<float>(r * std::sin(phi)), static_cast<float>(z)});
    }
    const auto top = recognizer.recognize_points(xyz.data(), n, 3, true);
    std::printf("generated sphere:");
    for (const auto& s : top) std::printf(" %s %.3f", s.label.c_str(), s.score);
    std::printf("\n");
    return failed ? 1 : 0;
  } catch (const unirep::Error& e) {
    std::fprintf(stderr, "recognize_points: %s (%s)\n", e.what(), unirep::status_name(e.code()));
    return 1;
  }
}
