// read_point_file on any bytes: OFF, PLY (ascii and binary), OBJ, PCD (ascii, binary, LZF) and XYZ
// are picked by content and extension; the first byte chooses the extension.
#include "modalities/points/point_file.h"

#include <exception>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* kExt[] = {".pcd", ".ply", ".off", ".obj", ".xyz", ".txt", ".csv", ".bin"};
  const std::string path = unirep::fuzz::write_input(data + 1, size - 1, kExt[data[0] % 8]);
  try {
    auto cloud = unirep::modalities::read_point_file(path);
    if (cloud.is_mesh() && cloud.size() < 100000) unirep::modalities::sample_mesh_surface(cloud, 64, 1);
  } catch (const std::exception&) {
  }
  return 0;
}
