#pragma once
// Classify images: with a model file from `unirep train image`, or with an official ImageNet
// checkpoint as downloaded (unireplknet_a_in1k_224_acc77.03.pth, ...) and a variant name. Files are
// decoded (JPEG, PNG, WebP, BMP, TIFF, ...) and go through the official evaluation transform;
// pixels from memory go through the same resize and crop.
//
// Thread safety: classify_* may be called concurrently; copies share the loaded model.
#include <unirep/api/export.h>
#include <unirep/api/results.h>
#include <unirep/api/runtime_options.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace unirep {

class UNIREP_API ImageClassifier {
 public:
  // A model file written by `unirep train image`.
  explicit ImageClassifier(const std::string& model_file, const RuntimeOptions& options = {});
  // A variant name ("a", "f", ..., "xl") or a backbone JSON config, and a weights file (.pth or
  // .safetensors, train or deploy structure). `labels` empty: ImageNet-1K names for 1000 classes.
  static ImageClassifier from_weights(const std::string& model, const std::string& weights,
                                      const RuntimeOptions& options = {}, int input_size = 224,
                                      std::vector<std::string> labels = {});
  ~ImageClassifier();
  ImageClassifier(const ImageClassifier&);
  ImageClassifier& operator=(const ImageClassifier&);
  ImageClassifier(ImageClassifier&&) noexcept;
  ImageClassifier& operator=(ImageClassifier&&) noexcept;

  const std::vector<std::string>& labels() const;
  int input_size() const;

  std::vector<LabelScore> classify_file(const std::string& path, int top_k = 5) const;
  // 8-bit RGB pixels, `stride` bytes per row (0: width * 3).
  std::vector<LabelScore> classify_pixels(const uint8_t* rgb, int width, int height, int stride = 0,
                                          int top_k = 5) const;

 private:
  struct Impl;
  ImageClassifier() = default;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace unirep
