#pragma once
// Recognize point clouds and meshes (PLY, PCD, OFF, OBJ, XYZ/TXT/CSV, or points from memory) with a
// model file from `unirep train points`.
//
// Thread safety: recognize_* may be called concurrently; copies share the loaded model.
#include <unirep/api/export.h>
#include <unirep/api/results.h>
#include <unirep/api/runtime_options.h>

#include <memory>
#include <string>
#include <vector>

namespace unirep {

class UNIREP_API PointCloudRecognizer {
 public:
  explicit PointCloudRecognizer(const std::string& model_file, const RuntimeOptions& options = {});
  ~PointCloudRecognizer();
  PointCloudRecognizer(const PointCloudRecognizer&);
  PointCloudRecognizer& operator=(const PointCloudRecognizer&);
  PointCloudRecognizer(PointCloudRecognizer&&) noexcept;
  PointCloudRecognizer& operator=(PointCloudRecognizer&&) noexcept;

  const std::vector<std::string>& labels() const;
  // all_rotations: average the scores over the 8 official test rotations (docs/reference.md, Point
  // clouds; 8x the work).
  std::vector<LabelScore> recognize_file(const std::string& path, int top_k = 5, bool all_rotations = false) const;
  // `count` points as x, y, z floats (count * 3 values). Non-finite points are refused.
  std::vector<LabelScore> recognize_points(const float* xyz, size_t count, int top_k = 5,
                                           bool all_rotations = false) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace unirep
