#include "sdk/audio/audio_classifier.h"

#include "models/io/format_error.h"
#include "models/backbone/state_dict.h"
#include "modalities/audio/decode.h"
#include "modalities/audio/resample.h"
#include "modalities/audio/sample_check.h"
#include "modalities/audio/sliding_windows.h"

#include <ATen/ATen.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace unirep::sdk {
namespace {

std::string number_text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

AudioClassifier AudioClassifier::load(const std::string& model_path, const InferenceSettings& inference) {
  auto file = read_model_file(model_path, kAudioClassifierKind);
  AudioModelSpec spec;
  try {
    spec = audio_model_spec(file);
  } catch (const std::invalid_argument& e) {
    throw io::FormatError(model_path, e.what());
  }
  auto backbone = spec.backbone;
  backbone.in_chans = 1;
  models::PooledClassifier net(
      models::PooledClassifierOptions(backbone, static_cast<int64_t>(spec.labels.size())).deploy(true));
  load_model_file_weights(*net, file, model_path);
  return AudioClassifier(net, std::move(spec), inference);
}

AudioClassifier::AudioClassifier(models::PooledClassifier net, AudioModelSpec spec, const InferenceSettings& inference)
    : net_(std::move(net)), spec_(std::move(spec)) {
  net_->eval();
  backbone_ = InferenceBackbone(net_->backbone, inference);
}

at::Tensor AudioClassifier::predict(const at::Tensor& inputs) const {
  torch::InferenceMode guard;
  auto logits = net_.ptr()->forward(
      inputs, [this](const at::Tensor& x) { return backbone_.forward(x, models::OutputMode::Pooled); });
  return spec_.multi_label ? logits.sigmoid() : logits.softmax(-1);
}

// Collects windows, runs them in batches, and assembles the result.
class AudioClassifier::Session {
 public:
  // `source` names the audio in errors: the file's path, or "samples".
  Session(const AudioClassifier& clf, const ClassifyOptions& o, std::string source)
      : clf_(clf), o_(o), source_(std::move(source)) {
    const auto& in = clf.spec_.input;
    rate_ = in.sample_rate;
    const auto shift = static_cast<int64_t>(in.fbank.frame_opts.frame_shift_ms * rate_ / 1000.0 + 0.5);
    const auto length = static_cast<int64_t>(in.fbank.frame_opts.frame_length_ms * rate_ / 1000.0 + 0.5);
    window_ = modalities::samples_for_frames(in.target_frames, shift, length);
    hop_ = std::max<int64_t>(1, static_cast<int64_t>(o.hop_s * rate_ + 0.5));
    windows_ =
        std::make_unique<modalities::SlidingWindows>(window_, hop_, [this](int64_t start, const std::vector<float>& w) {
          pending_.push_back(modalities::waveform_to_input(w, clf_.spec_.input));
          starts_.push_back(start);
          lengths_.push_back(static_cast<int64_t>(w.size()));
          if (static_cast<int>(pending_.size()) >= std::max(1, o_.batch)) run();
        });
  }
  void push(const float* x, int64_t n) {
    total_ += n;
    windows_->push(x, n);
  }
  AudioClassification finish() {
    windows_->finish();
    run();
    AudioClassification r;
    r.duration_s = static_cast<double>(total_) / rate_;
    r.windows = std::move(results_);
    const auto& labels = clf_.spec_.labels;
    // Label ranking: highest score over windows.
    std::vector<float> best(labels.size(), 0.0f);
    for (const auto& w : r.windows)
      for (size_t k = 0; k < labels.size(); ++k) best[k] = std::max(best[k], w.scores[k]);
    std::vector<int> order(labels.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<int>(k);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return best[a] > best[b]; });
    for (int k = 0; k < std::min<int>(o_.top_k, static_cast<int>(order.size())); ++k)
      r.top.push_back({labels[order[k]], order[k], best[order[k]]});
    // Timeline: neighbouring windows with the same top label form one segment.
    for (const auto& w : r.windows) {
      const int k = static_cast<int>(std::max_element(w.scores.begin(), w.scores.end()) - w.scores.begin());
      if (!r.segments.empty() && r.segments.back().label == labels[k] && w.start_s <= r.segments.back().end_s) {
        r.segments.back().end_s = w.end_s;
        r.segments.back().score = std::max(r.segments.back().score, w.scores[k]);
      } else {
        r.segments.push_back({w.start_s, w.end_s, labels[k], w.scores[k]});
      }
    }
    return r;
  }

 private:
  void run() {
    if (pending_.empty()) return;
    auto probs = clf_.predict(at::stack(pending_)).contiguous();
    // Finite inputs and finite weights can still overflow inside the network (weights of absurd
    // magnitude); such scores are no answer (docs/audio.md, "Sample values").
    if (!at::isfinite(probs).all().item<bool>())
      throw std::runtime_error(source_ + ": the model gives NaN or infinite scores for the audio from " +
                               number_text(static_cast<double>(starts_.front()) / rate_) +
                               " s on (its weights overflow on this input)");
    for (size_t i = 0; i < pending_.size(); ++i) {
      WindowScores w;
      w.start_s = static_cast<double>(starts_[i]) / rate_;
      w.end_s = static_cast<double>(starts_[i] + lengths_[i]) / rate_;
      auto row = probs[static_cast<int64_t>(i)];
      w.scores.assign(row.data_ptr<float>(), row.data_ptr<float>() + row.numel());
      results_.push_back(std::move(w));
    }
    pending_.clear();
    starts_.clear();
    lengths_.clear();
  }

  const AudioClassifier& clf_;
  ClassifyOptions o_;
  std::string source_;
  int rate_ = 16000;
  int64_t window_ = 0, hop_ = 0, total_ = 0;
  std::unique_ptr<modalities::SlidingWindows> windows_;
  std::vector<at::Tensor> pending_;
  std::vector<int64_t> starts_, lengths_;
  std::vector<WindowScores> results_;
};

namespace {

void check_options(const ClassifyOptions& o) {
  if (o.top_k < 1)
    throw std::invalid_argument("ClassifyOptions.top_k must be at least 1, got " + std::to_string(o.top_k));
  if (o.batch < 1)
    throw std::invalid_argument("ClassifyOptions.batch must be at least 1, got " + std::to_string(o.batch));
  // The hop becomes a sample count: NaN or infinity there is undefined behaviour, not a setting.
  if (!(std::isfinite(o.hop_s) && o.hop_s > 0))
    throw std::invalid_argument("ClassifyOptions.hop_s must be a positive number of seconds, got " +
                                number_text(o.hop_s));
}

std::unique_ptr<modalities::Resampler> resampler_for(const std::string& path, int from, int to) {
  if (from == to) return nullptr;
  try {
    return std::make_unique<modalities::Resampler>(from, to);
  } catch (const std::invalid_argument& e) {  // a rate the resampler cannot convert: the file's problem
    throw io::FormatError(path, e.what());
  }
}

}  // namespace

AudioClassification AudioClassifier::classify_samples(const std::vector<float>& samples,
                                                      const ClassifyOptions& options) const {
  check_options(options);
  if (const auto bad = modalities::find_bad_sample(samples.data(), static_cast<int64_t>(samples.size()), 1))
    throw std::invalid_argument("samples: " + modalities::describe_bad_sample(*bad, spec_.input.sample_rate, 1));
  Session s(*this, options, "samples");
  s.push(samples.data(), static_cast<int64_t>(samples.size()));
  return s.finish();
}

AudioClassification AudioClassifier::classify_file(const std::string& path, const ClassifyOptions& options) const {
  check_options(options);
  modalities::AudioReader reader(path);
  const auto resampler = resampler_for(path, reader.info().sample_rate, spec_.input.sample_rate);
  Session s(*this, options, path);
  std::vector<float> block(1 << 16), out;
  while (true) {
    const int64_t n = reader.read(block.data(), static_cast<int64_t>(block.size()));
    if (n <= 0) break;
    if (resampler) {
      out.clear();
      resampler->process(block.data(), n, out);
      s.push(out.data(), static_cast<int64_t>(out.size()));
    } else {
      s.push(block.data(), n);
    }
  }
  if (resampler) {
    out.clear();
    resampler->flush(out);
    s.push(out.data(), static_cast<int64_t>(out.size()));
  }
  auto r = s.finish();
  if (r.windows.empty()) throw io::FormatError(path, "contains no audio samples");
  return r;
}

}  // namespace unirep::sdk
