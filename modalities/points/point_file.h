#pragma once
// Reading point clouds and meshes, picked by content (then extension):
//   OFF (ModelNet's meshes, including its "OFF490 518 0" first lines), PLY (ascii, binary little
//   and big endian; vertices with optional normals, faces as polygon lists), OBJ (v / vn / f),
//   PCD (PCL's format: ascii, binary and binary_compressed; x y z and normal_x/y/z fields),
//   and text XYZ / TXT / CSV rows of x y z [nx ny nz ...] separated by spaces or commas (the
//   ModelNet40 `modelnet40_normal_resampled` files).
// Counts and sizes in headers are never trusted: a header that promises more data than the file
// holds is an error before anything is allocated. NaN/Inf points are dropped and counted; faces
// that name missing vertices are errors; polygons are split into triangles (fan).
//
// The whole file is read first, within InputLimits (docs/points.md, Limits): a regular file over
// 256 MiB is refused from its size, a pipe, FIFO or device (/dev/zero, `yes |`, "-" for standard
// input) is cut off with an error past 256 MiB, and a FIFO nobody writes to fails after 10 s.
#include "modalities/input/input_file.h"
#include "modalities/points/point_cloud.h"

#include <cstdint>
#include <string>

namespace unirep::modalities {

// Throws std::runtime_error "FILE: problem" (with a line number for text formats). `path` "-" reads
// standard input (the format is then recognized from the content only).
PointCloud read_point_file(const std::string& path, const InputLimits& limits = {});

// Points sampled uniformly on a mesh's surface (triangle chosen by area, uniform barycentric
// coordinates), with the triangle's normal; deterministic for a seed. Throws if the mesh has no
// triangle of positive area.
PointCloud sample_mesh_surface(const PointCloud& mesh, size_t count, uint64_t seed = 0);

}  // namespace unirep::modalities
