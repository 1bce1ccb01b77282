// unirep::AudioClassifier: the app-facing face of sdk/audio/audio_classifier.
#include <unirep/api/audio_classifier.h>

#include "api_support.h"
#include "input_limits.h"

#include "modalities/audio/decode.h"
#include "modalities/audio/resample.h"
#include "modalities/audio/sample_check.h"
#include "sdk/audio/audio_classifier.h"

namespace unirep {
struct AudioClassifier::Impl {
  RuntimeOptions options;
  // Its classify methods are const: a call only reads the network and streams through a session of
  // its own, so one instance serves concurrent calls.
  sdk::AudioClassifier classifier;

  AudioClassification classify(const std::vector<float>& samples, int top_k) const {
    sdk::ClassifyOptions o;
    o.top_k = top_k;
    o.batch = options.batch_size;
    return convert(classifier.classify_samples(samples, o));
  }
  // The public result is the SDK's without the per-window timeline.
  static AudioClassification convert(sdk::AudioClassification in) {
    AudioClassification out;
    out.duration_s = in.duration_s;
    out.top = std::move(in.top);
    out.segments = std::move(in.segments);
    return out;
  }
};

AudioClassifier::AudioClassifier(const std::string& model_file, const RuntimeOptions& options) {
  api_detail::check_options(options);
  api_detail::require_file(model_file, "model file");
  impl_ = api_detail::guarded([&] {
    return std::make_shared<const Impl>(
        Impl{options, sdk::AudioClassifier::load(model_file, api_detail::inference_settings(options))});
  });
}

AudioClassifier::~AudioClassifier() = default;
AudioClassifier::AudioClassifier(const AudioClassifier&) = default;
AudioClassifier& AudioClassifier::operator=(const AudioClassifier&) = default;
AudioClassifier::AudioClassifier(AudioClassifier&&) noexcept = default;
AudioClassifier& AudioClassifier::operator=(AudioClassifier&&) noexcept = default;

const std::vector<std::string>& AudioClassifier::labels() const {
  return impl_->classifier.labels();
}
bool AudioClassifier::multi_label() const {
  return impl_->classifier.spec().multi_label;
}
int AudioClassifier::sample_rate() const {
  return impl_->classifier.spec().input.sample_rate;
}

AudioClassification AudioClassifier::classify_file(const std::string& path, int top_k) const {
  api_detail::check_top_k(top_k);
  api_detail::require_file(path, "audio file");
  return api_detail::guarded([&] {
    api_detail::CallThreads threads(impl_->options.threads);
    sdk::ClassifyOptions o;
    o.top_k = top_k;
    o.batch = impl_->options.batch_size;
    return Impl::convert(impl_->classifier.classify_file(path, o));
  });
}

AudioClassification AudioClassifier::classify_samples(const float* samples, size_t frames, int channels,
                                                      int sample_rate, int top_k) const {
  api_detail::check_top_k(top_k);
  if (!samples && frames > 0) throw Error(StatusCode::kInvalidArgument, "samples: null buffer");
  if (frames == 0) throw Error(StatusCode::kInvalidArgument, "samples: no audio (0 frames)");
  if (channels < 1) throw Error(StatusCode::kInvalidArgument, "samples: channels must be at least 1");
  api_detail::check_sample_rate(sample_rate);
  // A count past what one file may hold is a wrong argument (a wrapped size_t), refused before the
  // buffer is read (docs/api.md, Input limits).
  if (const auto limit = static_cast<size_t>(api_detail::kMaxAudioSeconds * sample_rate); frames > limit)
    throw Error(StatusCode::kInvalidArgument,
                "frames: " + std::to_string(frames) + " exceeds the limit of " + std::to_string(limit) + " (" +
                    std::to_string(static_cast<int>(api_detail::kMaxAudioSeconds)) + " s at sample_rate)");
  // Every channel before the down-mix, so a bad channel cannot hide in an average.
  if (const auto bad = modalities::find_bad_sample(samples, static_cast<int64_t>(frames), channels))
    throw Error(StatusCode::kInvalidArgument,
                "samples: " + modalities::describe_bad_sample(*bad, sample_rate, channels));
  std::vector<float> mono(frames);
  modalities::average_channels(samples, static_cast<int64_t>(frames), channels, mono.data());
  return api_detail::guarded([&] {
    api_detail::CallThreads threads(impl_->options.threads);
    const int rate = impl_->classifier.spec().input.sample_rate;
    if (sample_rate != rate) mono = modalities::resample(mono, sample_rate, rate);
    return impl_->classify(mono, top_k);
  });
}

}  // namespace unirep
