#include "sdk/audio/keyword_stream.h"

#include "modalities/audio/online_fbank.h"
#include "modalities/audio/resample.h"
#include "modalities/audio/sample_check.h"
#include "modalities/audio/sliding_windows.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace unirep::sdk {
namespace {

std::string number_text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void check_streamable(const AudioModelSpec& spec) {
  if (spec.multi_label)
    throw std::invalid_argument("keyword spotting needs a single-label model (this one is multi-label)");
  if (!spec.input.fbank.frame_opts.remove_dc_offset)
    throw std::invalid_argument(
        "keyword spotting needs a front end that removes each frame's DC offset (remove_dc_offset), "
        "so that the clip's mean, which a stream never knows, does not matter");
  modalities::OnlineFbank probe(spec.input.fbank);  // throws for what cannot stream
}

// A window waiting for the network: its backbone input, where it lies, the loud part of it, and
// whether it is quiet enough to skip the network.
struct PendingWindow {
  at::Tensor input;
  int64_t start = 0, length = 0;         // samples
  int64_t loud_begin = 0, loud_end = 0;  // samples
  bool silent = false;
};

// Frames [first, last) around the loudest one that stay within 20 dB of it (docs/audio.md,
// "Streaming": an event's start and end), and the loudest frame's energy.
struct LoudPart {
  int64_t first = 0, last = 0;
  float peak_energy = -INFINITY;  // no frame: silent
};

// A frame's energy: the log of the summed mel powers.
at::Tensor frame_energies(const at::Tensor& frames) {
  return frames.logsumexp(1).contiguous();
}

LoudPart loud_part(const at::Tensor& frames) {
  const auto energy = frame_energies(frames);
  const float* e = energy.data_ptr<float>();
  const int64_t n = energy.size(0);
  if (n == 0) return {};
  const int64_t peak = std::max_element(e, e + n) - e;
  const float floor = e[peak] - static_cast<float>(std::log(100.0));  // 20 dB in power
  int64_t first = peak, last = peak;
  while (first > 0 && e[first - 1] >= floor) --first;
  while (last + 1 < n && e[last + 1] >= floor) ++last;
  return {first, last + 1, e[peak]};
}

// The energy of one frame of a 1 kHz sine at `rms_db` dB below full scale: the silence gate's
// level in the filterbank's units, whatever the front end's options.
float gate_energy(const modalities::Fbank& fbank, double rms_db) {
  const int rate = static_cast<int>(fbank.options().frame_opts.samp_freq);
  const double amplitude = std::sqrt(2.0) * std::pow(10.0, rms_db / 20.0);
  std::vector<float> sine(static_cast<size_t>(fbank.window_size()));
  for (size_t i = 0; i < sine.size(); ++i)
    sine[i] = static_cast<float>(amplitude * std::sin(2 * M_PI * 1000.0 * static_cast<double>(i) / rate));
  return frame_energies(fbank.compute(sine.data(), static_cast<int64_t>(sine.size()))).max().item<float>();
}

}  // namespace

KeywordSpotter KeywordSpotter::load(const std::string& model_path, const InferenceSettings& inference) {
  return KeywordSpotter(AudioClassifier::load(model_path, inference));
}

KeywordSpotter::KeywordSpotter(AudioClassifier classifier)
    : classifier_(std::make_shared<const AudioClassifier>(std::move(classifier))) {
  check_streamable(classifier_->spec());
}

KeywordStream KeywordSpotter::create_stream(const KeywordStreamOptions& options) const {
  return KeywordStream(classifier_, options);
}

struct KeywordStream::State {
  std::shared_ptr<const AudioClassifier> clf;
  KeywordStreamOptions o;
  int rate = 16000;
  int64_t shift = 160, frame_length = 400, window_frames = 128, window_samples = 0, hop_frames = 10;
  KeywordDetector detector;

  mutable std::mutex mutex;  // everything below
  std::mutex decode_mutex;   // one decode() at a time, so windows are applied in order
  uint64_t generation = 0;   // bumped by reset(): a decode that straddles it drops its results
  modalities::OnlineFbank fbank;
  std::unique_ptr<modalities::Resampler> resampler;
  int input_rate = 0;       // the rate of the first push (0: none yet)
  int64_t total = 0;        // samples at the model's rate
  std::vector<float> tail;  // the last window_samples samples, for the end-aligned last window
  int64_t next_window = 0;  // index of the next full window
  int64_t emitted = 0, last_end = 0;
  bool finished = false;
  std::deque<PendingWindow> flush;  // windows made by input_finished()
  std::vector<KeywordEvent> events;
  std::vector<WindowScores> window_scores;
  float gate = 0;          // silence gate in frame energy units
  int silence_label = -1;  // the model's _silence_ label, if it has one

  State(std::shared_ptr<const AudioClassifier> c, const KeywordStreamOptions& opts)
      : clf(std::move(c)), o(opts), detector(clf->labels(), opts), fbank(clf->spec().input.fbank) {
    const auto& in = clf->spec().input;
    rate = in.sample_rate;
    shift = fbank.fbank().window_shift();
    frame_length = fbank.fbank().window_size();
    const auto asked = static_cast<int64_t>(std::llround(o.window_s * rate));
    window_frames = std::clamp<int64_t>(fbank.fbank().num_frames(asked), 1, in.target_frames);
    window_samples = modalities::samples_for_frames(window_frames, shift, frame_length);
    hop_frames = std::max<int64_t>(1, std::llround(o.hop_s * rate / static_cast<double>(shift)));
    gate = gate_energy(fbank.fbank(), o.silence_gate_db);
    const auto& labels = clf->labels();
    const auto it = std::find(labels.begin(), labels.end(), "_silence_");
    if (it != labels.end()) silence_label = static_cast<int>(it - labels.begin());
  }

  void set_loud_part(PendingWindow& w, const at::Tensor& frames) const {
    const auto loud = loud_part(frames);
    w.loud_begin = w.start + loud.first * shift;
    w.loud_end = w.start + std::max<int64_t>(loud.last - 1, 0) * shift + frame_length;
    w.silent = o.silence_gate_db > -200 && loud.peak_energy < gate;
  }

  void clear() {
    ++generation;
    fbank.reset();
    resampler.reset();
    input_rate = 0;
    total = next_window = emitted = last_end = 0;
    tail.clear();
    finished = false;
    flush.clear();
    detector.reset();
    events.clear();
    window_scores.clear();
  }

  // Model-rate samples into the front end and the tail.
  void take(const float* x, int64_t n) {
    if (n <= 0) return;
    fbank.accept_waveform(x, n);
    total += n;
    tail.insert(tail.end(), x, x + n);
    if (static_cast<int64_t>(tail.size()) > 2 * window_samples) tail.erase(tail.begin(), tail.end() - window_samples);
  }

  void accept(int sample_rate, const float* x, int64_t n) {
    if (finished) throw std::invalid_argument("keyword stream: samples pushed after input_finished() (reset() first)");
    if (n <= 0) return;
    if (!x) throw std::invalid_argument("keyword stream: null samples");
    if (sample_rate <= 0)
      throw std::invalid_argument("keyword stream: sample rate must be positive, got " + std::to_string(sample_rate));
    if (input_rate != 0 && sample_rate != input_rate)
      throw std::invalid_argument("keyword stream: the sample rate changed from " + std::to_string(input_rate) +
                                  " to " + std::to_string(sample_rate) + " Hz mid-stream (reset() first)");
    if (const auto b = modalities::find_bad_sample(x, n, 1))
      throw std::invalid_argument("keyword stream: " + modalities::describe_bad_sample(*b, sample_rate, 1));
    if (input_rate == 0) {
      if (sample_rate != rate) resampler = std::make_unique<modalities::Resampler>(sample_rate, rate);
      input_rate = sample_rate;
    }
    if (!resampler) return take(x, n);
    std::vector<float> out;
    resampler->process(x, n, out);
    take(out.data(), static_cast<int64_t>(out.size()));
  }

  bool full_window_ready() const { return fbank.num_frames_ready() >= next_window * hop_frames + window_frames; }
  bool ready() const { return full_window_ready() || !flush.empty(); }

  PendingWindow next_full_window() {
    const int64_t first = next_window * hop_frames;
    auto frames = at::empty({window_frames, fbank.dim()}, at::kFloat);
    for (int64_t t = 0; t < window_frames; ++t)
      std::copy_n(fbank.frame(first + t), fbank.dim(), frames.data_ptr<float>() + t * fbank.dim());
    PendingWindow w;
    w.input = modalities::fbank_to_input(frames, clf->spec().input);
    w.start = first * shift;
    w.length = window_samples;
    set_loud_part(w, frames);
    ++next_window;
    ++emitted;
    last_end = w.start + w.length;
    fbank.discard_frames_before(next_window * hop_frames);
    return w;
  }

  // As the clip classifier ends (modalities/audio/sliding_windows.h): one short window when no full
  // one was made, else an end-aligned window over the tail not yet covered.
  void finish() {
    if (finished) return;
    if (resampler) {
      std::vector<float> out;
      resampler->flush(out);
      take(out.data(), static_cast<int64_t>(out.size()));
    }
    finished = true;
    fbank.input_finished();
    while (full_window_ready()) flush.push_back(next_full_window());
    if (total == 0 || (emitted > 0 && last_end >= total)) return;
    const int64_t n = std::min<int64_t>(total, window_samples);
    std::vector<float> samples(tail.end() - n, tail.end());
    PendingWindow w;
    const auto raw = modalities::waveform_to_fbank(samples, clf->spec().input);
    w.input = modalities::fbank_to_input(raw, clf->spec().input);
    w.start = total - n;
    w.length = n;
    set_loud_part(w, raw);
    flush.push_back(std::move(w));
    ++emitted;
    last_end = total;
  }

  std::vector<PendingWindow> take_ready(int max) {
    std::vector<PendingWindow> batch;
    while (static_cast<int>(batch.size()) < max && !flush.empty()) {
      batch.push_back(std::move(flush.front()));
      flush.pop_front();
    }
    while (static_cast<int>(batch.size()) < max && full_window_ready()) batch.push_back(next_full_window());
    return batch;
  }

  void apply(const PendingWindow& w, const float* probs) {
    const double end_s = static_cast<double>(w.start + w.length) / rate;
    if (o.keep_window_scores)
      window_scores.push_back(
          {static_cast<double>(w.start) / rate, end_s, std::vector<float>(probs, probs + clf->labels().size())});
    const ScoredWindow scored{end_s, static_cast<double>(w.loud_begin) / rate, static_cast<double>(w.loud_end) / rate,
                              probs};
    if (auto e = detector.push(scored)) events.push_back(std::move(*e));
  }
};

KeywordStream::KeywordStream(std::shared_ptr<const AudioClassifier> classifier, const KeywordStreamOptions& options)
    : state_(std::make_unique<State>(std::move(classifier), options)) {}
KeywordStream::~KeywordStream() = default;
KeywordStream::KeywordStream(KeywordStream&&) noexcept = default;
KeywordStream& KeywordStream::operator=(KeywordStream&&) noexcept = default;

void KeywordStream::accept_waveform(int sample_rate, const float* samples, int64_t n) {
  std::lock_guard lock(state_->mutex);
  state_->accept(sample_rate, samples, n);
}

void KeywordStream::accept_waveform(int sample_rate, const int16_t* samples, int64_t n) {
  if (n <= 0) return;
  if (!samples) throw std::invalid_argument("keyword stream: null samples");
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = static_cast<float>(samples[i]) / 32768.0f;
  accept_waveform(sample_rate, x.data(), n);
}

void KeywordStream::input_finished() {
  std::lock_guard lock(state_->mutex);
  state_->finish();
}

bool KeywordStream::is_ready() const {
  std::lock_guard lock(state_->mutex);
  return state_->ready();
}

void KeywordStream::decode() {
  auto& s = *state_;
  std::lock_guard decoding(s.decode_mutex);
  std::vector<PendingWindow> batch;
  uint64_t generation = 0;
  {
    std::lock_guard lock(s.mutex);
    batch = s.take_ready(s.o.batch);
    generation = s.generation;
  }
  if (batch.empty()) return;
  const auto k = static_cast<int64_t>(s.clf->labels().size());
  // Silent windows get _silence_ (or nothing) without the network.
  auto probs = at::zeros({static_cast<int64_t>(batch.size()), k}, at::kFloat);
  if (s.silence_label >= 0) probs.select(1, s.silence_label).fill_(1.0f);
  std::vector<at::Tensor> inputs;
  std::vector<int64_t> rows;
  for (size_t i = 0; i < batch.size(); ++i)
    if (!batch[i].silent) {
      inputs.push_back(batch[i].input);
      rows.push_back(static_cast<int64_t>(i));
    }
  if (!inputs.empty()) {
    // The network runs without the state lock, so an audio thread can keep pushing meanwhile.
    const auto scored = s.clf->predict(at::stack(inputs));
    if (!at::isfinite(scored).all().item<bool>())
      throw std::runtime_error(
          "keyword stream: the model gives NaN or infinite scores for the audio from " +
          number_text(static_cast<double>(batch[static_cast<size_t>(rows.front())].start) / s.rate) +
          " s on (its weights overflow on this input)");
    probs.index_copy_(0, at::tensor(rows, at::kLong), scored);
  }
  std::lock_guard lock(s.mutex);
  if (generation != s.generation) return;  // reset() while the network ran
  for (size_t i = 0; i < batch.size(); ++i) s.apply(batch[i], probs.data_ptr<float>() + static_cast<int64_t>(i) * k);
}

std::vector<KeywordEvent> KeywordStream::take_events() {
  std::lock_guard lock(state_->mutex);
  return std::exchange(state_->events, {});
}

std::vector<WindowScores> KeywordStream::take_window_scores() {
  std::lock_guard lock(state_->mutex);
  return std::exchange(state_->window_scores, {});
}

void KeywordStream::reset() {
  std::lock_guard lock(state_->mutex);
  state_->clear();
}

double KeywordStream::time_s() const {
  std::lock_guard lock(state_->mutex);
  return static_cast<double>(state_->total) / state_->rate;
}

}  // namespace unirep::sdk
