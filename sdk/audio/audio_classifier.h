#pragma once
// Classify audio with a trained model file: from any audio file (or samples) to labels and scores.
//
//   auto clf = unirep::sdk::AudioClassifier::load("keywords.safetensors");
//   auto result = clf.classify_file("clip.wav");        // result.top[0].label, .score
//
// A recording longer than the model's window (128 frames, 1.295 s at 16 kHz) is streamed through
// sliding windows (hop 0.5 s by default): each window gets scores, `windows` is the timeline,
// `segments` merges neighbouring windows with the same top label, and `top` ranks labels by their
// highest window score (a keyword anywhere in the recording counts). Memory stays bounded
// whatever the length.
#include <unirep/api/results.h>
#include "sdk/inference_backbone.h"
#include "sdk/audio/audio_model.h"

#include <ATen/Tensor.h>

#include <optional>
#include <string>
#include <vector>

namespace unirep::sdk {

struct WindowScores {
  double start_s = 0, end_s = 0;
  std::vector<float> scores;  // one per label
};

// `top` and `segments` are the public result types (unirep/api/results.h); scores are
// probabilities: softmax (single-label) or sigmoid (multi-label).
struct AudioClassification {
  std::vector<LabelScore> top;  // best first, at most top_k
  std::vector<WindowScores> windows;
  std::vector<AudioSegment> segments;
  double duration_s = 0;
};

struct ClassifyOptions {
  int top_k = 5;       // at least 1
  double hop_s = 0.5;  // sliding-window hop for long recordings; positive and finite
  int batch = 8;       // windows per forward pass; at least 1
};

class AudioClassifier {
 public:
  // Reads a model file (errors name the file and the problem).
  // `inference`: which network runs, in which precision (see sdk/inference_backbone.h).
  static AudioClassifier load(const std::string& model_path, const InferenceSettings& inference = {});
  AudioClassifier(models::PooledClassifier net, AudioModelSpec spec, const InferenceSettings& inference = {});

  const std::vector<std::string>& labels() const { return spec_.labels; }
  const AudioModelSpec& spec() const { return spec_; }
  // N x 1 x F x T backbone inputs -> N x K probabilities.
  at::Tensor predict(const at::Tensor& inputs) const;

  // Errors name the file: unreadable or corrupt audio, NaN, infinite or absurd samples
  // (modalities/audio/sample_check.h), a rate the resampler cannot convert, and scores the model
  // cannot compute finitely. Options out of range are std::invalid_argument naming the field.
  AudioClassification classify_file(const std::string& path, const ClassifyOptions& options = {}) const;
  // Samples at spec().input.sample_rate; a NaN, infinite or absurd sample is std::invalid_argument
  // naming "samples" and its position.
  AudioClassification classify_samples(const std::vector<float>& samples, const ClassifyOptions& options = {}) const;

 private:
  class Session;
  // A shared handle: copies of the classifier share the network. A call only reads it (eval mode,
  // inference mode), so the classify methods are const; LibTorch's forward is not, hence calls go
  // through net_.ptr().
  models::PooledClassifier net_;
  InferenceBackbone backbone_;  // net_'s backbone on the chosen path; net_'s head runs after it
  AudioModelSpec spec_;
};

}  // namespace unirep::sdk
