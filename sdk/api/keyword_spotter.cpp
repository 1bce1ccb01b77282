// unirep::KeywordSpotter and KeywordStream: the app-facing face of sdk/audio/keyword_stream.
#include <unirep/api/keyword_spotter.h>

#include "api_support.h"

#include "sdk/audio/keyword_stream.h"

namespace unirep {
struct KeywordSpotter::Impl {
  RuntimeOptions options;
  sdk::KeywordSpotter spotter;
};

struct KeywordStream::Impl {
  std::shared_ptr<const KeywordSpotter::Impl> spotter;  // keeps the model alive
  sdk::KeywordStream stream;
};

KeywordSpotter::KeywordSpotter(const std::string& model_file, const RuntimeOptions& options) {
  api_detail::check_options(options);
  api_detail::require_file(model_file, "model file");
  impl_ = api_detail::guarded([&] {
    return std::make_shared<const Impl>(
        Impl{options, sdk::KeywordSpotter::load(model_file, api_detail::inference_settings(options))});
  });
}

KeywordSpotter::~KeywordSpotter() = default;
KeywordSpotter::KeywordSpotter(const KeywordSpotter&) = default;
KeywordSpotter& KeywordSpotter::operator=(const KeywordSpotter&) = default;
KeywordSpotter::KeywordSpotter(KeywordSpotter&&) noexcept = default;
KeywordSpotter& KeywordSpotter::operator=(KeywordSpotter&&) noexcept = default;

const std::vector<std::string>& KeywordSpotter::labels() const {
  return impl_->spotter.classifier().labels();
}
int KeywordSpotter::sample_rate() const {
  return impl_->spotter.classifier().spec().input.sample_rate;
}

KeywordStream KeywordSpotter::create_stream(const KeywordStreamOptions& options) const {
  return api_detail::guarded([&] {
    sdk::KeywordStreamOptions o;
    o.hop_s = options.hop_s;
    o.window_s = options.window_s;
    o.threshold = options.threshold;
    o.thresholds = options.thresholds;
    o.smoothing = options.smoothing;
    o.refractory_s = options.refractory_s;
    o.silence_gate_db = options.silence_gate_db;
    o.batch = impl_->options.batch_size;
    return KeywordStream(
        std::make_unique<KeywordStream::Impl>(KeywordStream::Impl{impl_, impl_->spotter.create_stream(o)}));
  });
}

KeywordStream::KeywordStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KeywordStream::~KeywordStream() = default;
KeywordStream::KeywordStream(KeywordStream&&) noexcept = default;
KeywordStream& KeywordStream::operator=(KeywordStream&&) noexcept = default;

void KeywordStream::accept_waveform(int sample_rate, const float* samples, size_t n) {
  if (n == 0) return;
  if (!samples) throw Error(StatusCode::kInvalidArgument, "samples: null buffer");
  api_detail::check_sample_rate(sample_rate);
  api_detail::guarded([&] { impl_->stream.accept_waveform(sample_rate, samples, static_cast<int64_t>(n)); });
}

void KeywordStream::accept_waveform(int sample_rate, const int16_t* samples, size_t n) {
  if (n == 0) return;
  if (!samples) throw Error(StatusCode::kInvalidArgument, "samples: null buffer");
  api_detail::check_sample_rate(sample_rate);
  api_detail::guarded([&] { impl_->stream.accept_waveform(sample_rate, samples, static_cast<int64_t>(n)); });
}

void KeywordStream::input_finished() {
  api_detail::guarded([&] { impl_->stream.input_finished(); });
}

bool KeywordStream::is_ready() const {
  return impl_->stream.is_ready();
}

void KeywordStream::decode() {
  api_detail::guarded([&] {
    api_detail::CallThreads threads(impl_->spotter->options.threads);
    impl_->stream.decode();
  });
}

std::vector<KeywordEvent> KeywordStream::take_events() {
  std::vector<KeywordEvent> out;
  for (auto& e : impl_->stream.take_events())
    out.push_back({std::move(e.keyword), e.index, e.score, e.start_s, e.end_s, e.time_s});
  return out;
}

void KeywordStream::reset() {
  impl_->stream.reset();
}

double KeywordStream::time_s() const {
  return impl_->stream.time_s();
}

}  // namespace unirep
