#pragma once
// Classify videos (MP4, MKV, MOV, AVI, WebM) with a model file from `unirep train video`: one view
// (the official validation clip) or the 15 official test views with their scores averaged
// (docs/reference.md, Video).
//
// Thread safety: classify_file may be called concurrently; copies share the loaded model.
#include <unirep/api/export.h>
#include <unirep/api/results.h>
#include <unirep/api/runtime_options.h>

#include <memory>
#include <string>
#include <vector>

namespace unirep {

class UNIREP_API VideoClassifier {
 public:
  explicit VideoClassifier(const std::string& model_file, const RuntimeOptions& options = {});
  // A variant name or JSON config and a weights file (an official Kinetics checkpoint, for example:
  // train or deploy structure), with the official 16-frame sampling at `input_size`
  // (docs/reference.md, Video).
  // `labels` empty: "0", "1", ...
  static VideoClassifier from_weights(const std::string& model, const std::string& weights,
                                      const RuntimeOptions& options = {}, int input_size = 224,
                                      std::vector<std::string> labels = {});
  ~VideoClassifier();
  VideoClassifier(const VideoClassifier&);
  VideoClassifier& operator=(const VideoClassifier&);
  VideoClassifier(VideoClassifier&&) noexcept;
  VideoClassifier& operator=(VideoClassifier&&) noexcept;

  const std::vector<std::string>& labels() const;
  // views: 1 or 15.
  std::vector<LabelScore> classify_file(const std::string& path, int top_k = 5, int views = 1) const;

 private:
  VideoClassifier() = default;
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace unirep
