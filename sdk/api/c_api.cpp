// The C API (include/unirep/unirep.h) over the C++ task objects: handles own a C++ object, every
// entry point catches everything, and failures leave their message in a thread-local string.
#include <unirep/unirep.h>
#include <unirep/unirep.hpp>

#include "sdk/model_file.h"

#include "api_support.h"
#include "failure_message.h"
#include "input_limits.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>
#include <string>

struct unirep_classifier {
  std::string kind;
  std::optional<unirep::AudioClassifier> audio;
  std::optional<unirep::ImageClassifier> image;
  std::optional<unirep::VideoClassifier> video;
  std::optional<unirep::PointCloudRecognizer> points;

  const std::vector<std::string>& labels() const {
    if (audio) return audio->labels();
    if (image) return image->labels();
    if (video) return video->labels();
    return points->labels();
  }
};

struct unirep_keyword_spotter {
  unirep::KeywordSpotter spotter;
};

struct unirep_keyword_stream {
  unirep::KeywordStream stream;
  std::deque<unirep::KeywordEvent> events;  // taken from the stream, not yet given to the caller
};

struct unirep_forecaster {
  unirep::Forecaster forecaster;
};

struct unirep_backbone {
  unirep::Backbone backbone;
};

namespace {

thread_local std::string last_error;

// Every message is one line of bounded length (docs/api.md, Errors): a LibTorch backtrace or a
// multi-line note never reaches the caller.
unirep_status fail(unirep_status status, const std::string& message) {
  last_error = unirep::api_detail::one_line(message);
  return status;
}

[[noreturn]] void invalid(const std::string& message) {
  throw unirep::Error(unirep::StatusCode::kInvalidArgument, message);
}

// Runs f; whatever it throws becomes a status and the thread's last error. A failed allocation
// (std::bad_alloc, or LibTorch's allocator, which the C++ layer reports as an internal error) is
// UNIREP_ERROR_OUT_OF_MEMORY naming `function` and, where known, the size.
template <class F>
unirep_status call(const char* function, F&& f) {
  try {
    try {
      return f();
    } catch (...) {
      unirep::api_detail::rethrow_as_error();
    }
  } catch (const unirep::Error& e) {
    const std::string message = e.what();
    const bool out_of_memory =
        e.code() == unirep::StatusCode::kOutOfMemory ||
        (e.code() == unirep::StatusCode::kInternal && unirep::api_detail::is_allocation_failure(message));
    if (out_of_memory)
      return fail(UNIREP_ERROR_OUT_OF_MEMORY,
                  std::string(function) + ": " + unirep::api_detail::describe_allocation_failure(message));
    return fail(static_cast<unirep_status>(e.code()), message);
  } catch (...) {
    return fail(UNIREP_ERROR_INTERNAL, std::string(function) + ": unknown failure");
  }
}

unirep::RuntimeOptions runtime_options(const unirep_options* o) {
  unirep::RuntimeOptions r;
  if (!o) return r;
  r.threads = o->threads;
  if (o->device && *o->device) r.device = o->device;
  if (o->precision && *o->precision) r.precision = o->precision;
  if (o->batch_size > 0) r.batch_size = o->batch_size;
  if (o->batch_size < 0)
    invalid("options.batch_size must be 0 (default) or more, got " + std::to_string(o->batch_size));
  if (o->batch_size > unirep::api_detail::kMaxBatchSize)
    invalid("options.batch_size " + std::to_string(o->batch_size) + " exceeds the limit of " +
            std::to_string(unirep::api_detail::kMaxBatchSize));
  return r;
}

std::string text(const char* s, const char* what) {
  if (!s) throw unirep::Error(unirep::StatusCode::kInvalidArgument, std::string(what) + ": null pointer");
  return s;
}

unirep_status write_scores(const std::vector<unirep::LabelScore>& scores, unirep_label_score* out, size_t capacity,
                           size_t* count) {
  for (size_t i = 0; i < scores.size(); ++i) out[i] = {static_cast<int32_t>(scores[i].index), scores[i].score};
  *count = scores.size();
  return UNIREP_OK;
}

void check_results(const unirep_classifier* c, const unirep_label_score* out, size_t capacity, const size_t* count) {
  if (!c) throw unirep::Error(unirep::StatusCode::kInvalidArgument, "classifier: null handle");
  if (!count) throw unirep::Error(unirep::StatusCode::kInvalidArgument, "count: null pointer");
  if (!out || capacity == 0)
    throw unirep::Error(unirep::StatusCode::kInvalidArgument, "results: null buffer or capacity 0");
}

int top_k(size_t capacity) {
  return static_cast<int>(std::min<size_t>(capacity, 1 << 20));
}

// The audio a call may pass: as long as the decoder reads from one file. A larger count is a
// wrong argument (a wrapped size_t), refused before a buffer of that size is allocated.
void check_frames(size_t frames, int sample_rate) {
  const double rate = std::clamp(sample_rate, unirep::api_detail::kMinSampleRate,
                                 unirep::api_detail::kMaxSampleRate);  // the C++ call names a bad rate itself
  const auto limit = static_cast<size_t>(unirep::api_detail::kMaxAudioSeconds * rate);
  if (frames > limit)
    invalid("unirep_classify_samples: frames " + std::to_string(frames) + " exceeds the limit of " +
            std::to_string(limit) + " (" + std::to_string(static_cast<int>(unirep::api_detail::kMaxAudioSeconds)) +
            " s at sample_rate " + std::to_string(static_cast<int>(rate)) + ")");
}

[[noreturn]] void wrong_kind(const unirep_classifier* c, const char* what) {
  throw unirep::Error(unirep::StatusCode::kInvalidArgument,
                      std::string(what) + " needs a classifier of that modality; this one is a " + c->kind);
}

}  // namespace

namespace {

// The keyword stream's options from the C struct (its zero values mean the defaults).

unirep::KeywordStreamOptions stream_options(const unirep_keyword_stream_options* o) {
  unirep::KeywordStreamOptions r;
  if (!o) return r;
  if (o->hop_s != 0) r.hop_s = o->hop_s;
  if (o->threshold != 0 || o->threshold_is_set) r.threshold = o->threshold;
  if (o->smoothing != 0) r.smoothing = o->smoothing;
  if (o->refractory_s > 0) r.refractory_s = o->refractory_s;
  if (o->refractory_s < 0) r.refractory_s = 0;
  if (o->num_thresholds > 0 && (!o->threshold_labels || !o->threshold_values))
    invalid("options.threshold_labels and threshold_values: null with num_thresholds " +
            std::to_string(o->num_thresholds));
  for (size_t i = 0; i < o->num_thresholds; ++i)
    r.thresholds[text(o->threshold_labels[i], "options.threshold_labels[i]")] = o->threshold_values[i];
  return r;
}

template <class T>
T& handle(T* h, const char* what) {
  if (!h) invalid(std::string(what) + ": null handle");
  return *h;
}

}  // namespace

extern "C" {

const char* unirep_version_string(void) {
  return UNIREP_VERSION_STRING;
}

void unirep_version(int* major, int* minor, int* patch) {
  if (major) *major = UNIREP_VERSION_MAJOR;
  if (minor) *minor = UNIREP_VERSION_MINOR;
  if (patch) *patch = UNIREP_VERSION_PATCH;
}

const char* unirep_status_name(unirep_status status) {
  if (status == UNIREP_ERROR_BUFFER_TOO_SMALL) return "buffer too small";
  if (status < UNIREP_OK || status > UNIREP_ERROR_BUFFER_TOO_SMALL) return "unknown status";
  return unirep::status_name(static_cast<unirep::StatusCode>(status));
}

const char* unirep_last_error(void) {
  return last_error.c_str();
}

// ---- classifiers ----

unirep_status unirep_classifier_load(const char* model_file, const unirep_options* options, unirep_classifier** out) {
  return call(__func__, [&] {
    if (!out) throw unirep::Error(unirep::StatusCode::kInvalidArgument, "out: null pointer");
    *out = nullptr;
    const auto path = text(model_file, "model_file");
    const auto o = runtime_options(options);
    unirep::api_detail::require_file(path, "model file");
    auto c = std::make_unique<unirep_classifier>();
    c->kind = unirep::sdk::read_model_file_kind(path);
    if (c->kind == "audio_classifier")
      c->audio.emplace(path, o);
    else if (c->kind == "image_classifier")
      c->image.emplace(path, o);
    else if (c->kind == "video_classifier")
      c->video.emplace(path, o);
    else if (c->kind == "point_classifier")
      c->points.emplace(path, o);
    else
      throw unirep::Error(
          unirep::StatusCode::kBadFile,
          path + ": holds a '" + c->kind + "' model, not a classifier (use unirep_forecaster_load for forecasters)");
    *out = c.release();
    return UNIREP_OK;
  });
}

unirep_status unirep_classifier_load_image_weights(const char* model, const char* weights,
                                                   const unirep_options* options, unirep_classifier** out) {
  return call(__func__, [&] {
    if (!out) throw unirep::Error(unirep::StatusCode::kInvalidArgument, "out: null pointer");
    *out = nullptr;
    auto c = std::make_unique<unirep_classifier>();
    c->kind = "image_classifier";
    c->image.emplace(unirep::ImageClassifier::from_weights(text(model, "model"), text(weights, "weights"),
                                                           runtime_options(options)));
    *out = c.release();
    return UNIREP_OK;
  });
}

void unirep_classifier_free(unirep_classifier* classifier) {
  delete classifier;
}

const char* unirep_classifier_kind(const unirep_classifier* c) {
  return c ? c->kind.c_str() : "";
}

size_t unirep_classifier_num_labels(const unirep_classifier* c) {
  return c ? c->labels().size() : 0;
}

const char* unirep_classifier_label(const unirep_classifier* c, size_t index) {
  if (!c || index >= c->labels().size()) return nullptr;
  return c->labels()[index].c_str();
}

unirep_status unirep_classify_file(const unirep_classifier* c, const char* path, unirep_label_score* results,
                                   size_t capacity, size_t* count) {
  return call(__func__, [&] {
    check_results(c, results, capacity, count);
    const auto file = text(path, "path");
    if (c->audio) return write_scores(c->audio->classify_file(file, top_k(capacity)).top, results, capacity, count);
    if (c->image) return write_scores(c->image->classify_file(file, top_k(capacity)), results, capacity, count);
    if (c->video) return write_scores(c->video->classify_file(file, top_k(capacity)), results, capacity, count);
    return write_scores(c->points->recognize_file(file, top_k(capacity)), results, capacity, count);
  });
}

unirep_status unirep_classify_samples(const unirep_classifier* c, const float* samples, size_t frames, int channels,
                                      int sample_rate, unirep_label_score* results, size_t capacity, size_t* count) {
  return call(__func__, [&] {
    check_results(c, results, capacity, count);
    if (!c->audio) wrong_kind(c, "unirep_classify_samples");
    check_frames(frames, sample_rate);
    return write_scores(c->audio->classify_samples(samples, frames, channels, sample_rate, top_k(capacity)).top,
                        results, capacity, count);
  });
}

unirep_status unirep_classify_pixels(const unirep_classifier* c, const uint8_t* rgb, int width, int height, int stride,
                                     unirep_label_score* results, size_t capacity, size_t* count) {
  return call(__func__, [&] {
    check_results(c, results, capacity, count);
    if (!c->image) wrong_kind(c, "unirep_classify_pixels");
    return write_scores(c->image->classify_pixels(rgb, width, height, stride, top_k(capacity)), results, capacity,
                        count);
  });
}

unirep_status unirep_classify_points(const unirep_classifier* c, const float* xyz, size_t count_points,
                                     unirep_label_score* results, size_t capacity, size_t* count) {
  return call(__func__, [&] {
    check_results(c, results, capacity, count);
    if (!c->points) wrong_kind(c, "unirep_classify_points");
    if (count_points > unirep::api_detail::kMaxPoints)
      invalid("unirep_classify_points: count_points " + std::to_string(count_points) + " exceeds the limit of " +
              std::to_string(unirep::api_detail::kMaxPoints) + " points");
    return write_scores(c->points->recognize_points(xyz, count_points, top_k(capacity)), results, capacity, count);
  });
}

// ---- keyword spotting ----

unirep_status unirep_keyword_spotter_load(const char* model_file, const unirep_options* options,
                                          unirep_keyword_spotter** out) {
  return call(__func__, [&] {
    if (!out) invalid("out: null pointer");
    *out = nullptr;
    *out = new unirep_keyword_spotter{unirep::KeywordSpotter(text(model_file, "model_file"), runtime_options(options))};
    return UNIREP_OK;
  });
}

void unirep_keyword_spotter_free(unirep_keyword_spotter* spotter) {
  delete spotter;
}

size_t unirep_keyword_spotter_num_labels(const unirep_keyword_spotter* s) {
  return s ? s->spotter.labels().size() : 0;
}

const char* unirep_keyword_spotter_label(const unirep_keyword_spotter* s, size_t index) {
  if (!s || index >= s->spotter.labels().size()) return nullptr;
  return s->spotter.labels()[index].c_str();
}

unirep_status unirep_keyword_stream_create(const unirep_keyword_spotter* spotter,
                                           const unirep_keyword_stream_options* options, unirep_keyword_stream** out) {
  return call(__func__, [&] {
    if (!out) invalid("out: null pointer");
    *out = nullptr;
    const auto& s = handle(spotter, "spotter");
    *out = new unirep_keyword_stream{s.spotter.create_stream(stream_options(options)), {}};
    return UNIREP_OK;
  });
}

void unirep_keyword_stream_free(unirep_keyword_stream* stream) {
  delete stream;
}

unirep_status unirep_keyword_stream_accept_waveform(unirep_keyword_stream* stream, int sample_rate,
                                                    const float* samples, size_t n) {
  return call(__func__, [&] {
    handle(stream, "stream").stream.accept_waveform(sample_rate, samples, n);
    return UNIREP_OK;
  });
}

unirep_status unirep_keyword_stream_accept_pcm16(unirep_keyword_stream* stream, int sample_rate, const int16_t* samples,
                                                 size_t n) {
  return call(__func__, [&] {
    handle(stream, "stream").stream.accept_waveform(sample_rate, samples, n);
    return UNIREP_OK;
  });
}

unirep_status unirep_keyword_stream_input_finished(unirep_keyword_stream* stream) {
  return call(__func__, [&] {
    handle(stream, "stream").stream.input_finished();
    return UNIREP_OK;
  });
}

int unirep_keyword_stream_is_ready(const unirep_keyword_stream* stream) {
  return stream && stream->stream.is_ready() ? 1 : 0;
}

unirep_status unirep_keyword_stream_decode(unirep_keyword_stream* stream) {
  return call(__func__, [&] {
    handle(stream, "stream").stream.decode();
    return UNIREP_OK;
  });
}

unirep_status unirep_keyword_stream_get_events(unirep_keyword_stream* stream, unirep_keyword_event* events,
                                               size_t capacity, size_t* count) {
  return call(__func__, [&] {
    auto& s = handle(stream, "stream");
    if (!count) invalid("count: null pointer");
    *count = 0;
    if (!events && capacity > 0) invalid("events: null buffer with capacity " + std::to_string(capacity));
    for (auto& e : s.stream.take_events()) s.events.push_back(std::move(e));
    while (*count < capacity && !s.events.empty()) {
      const auto& e = s.events.front();
      events[(*count)++] = {e.index, e.score, e.start_s, e.end_s, e.time_s};
      s.events.pop_front();
    }
    return UNIREP_OK;
  });
}

unirep_status unirep_keyword_stream_reset(unirep_keyword_stream* stream) {
  return call(__func__, [&] {
    auto& s = handle(stream, "stream");
    s.stream.reset();
    s.events.clear();
    return UNIREP_OK;
  });
}

// ---- forecaster ----

unirep_status unirep_forecaster_load(const char* model_file, const unirep_options* options, unirep_forecaster** out) {
  return call(__func__, [&] {
    if (!out) throw unirep::Error(unirep::StatusCode::kInvalidArgument, "out: null pointer");
    *out = nullptr;
    *out = new unirep_forecaster{unirep::Forecaster(text(model_file, "model_file"), runtime_options(options))};
    return UNIREP_OK;
  });
}

void unirep_forecaster_free(unirep_forecaster* f) {
  delete f;
}
size_t unirep_forecaster_num_targets(const unirep_forecaster* f) {
  return f ? f->forecaster.targets().size() : 0;
}
const char* unirep_forecaster_target(const unirep_forecaster* f, size_t index) {
  if (!f || index >= f->forecaster.targets().size()) return nullptr;
  return f->forecaster.targets()[index].c_str();
}
size_t unirep_forecaster_num_covariates(const unirep_forecaster* f) {
  return f ? f->forecaster.covariates().size() : 0;
}
size_t unirep_forecaster_history_length(const unirep_forecaster* f) {
  return f ? f->forecaster.history_length() : 0;
}
size_t unirep_forecaster_horizon(const unirep_forecaster* f) {
  return f ? f->forecaster.horizon() : 0;
}

static unirep_status write_forecast(const unirep::Forecast& fc, float* values, size_t capacity, double* times,
                                    size_t* steps) {
  *steps = fc.steps();
  if (capacity < fc.values.size())
    return fail(UNIREP_ERROR_BUFFER_TOO_SMALL, "values: " + std::to_string(capacity) + " floats, the forecast needs " +
                                                   std::to_string(fc.values.size()));
  std::memcpy(values, fc.values.data(), fc.values.size() * sizeof(float));
  if (times) std::memcpy(times, fc.times.data(), fc.times.size() * sizeof(double));
  return UNIREP_OK;
}

static void check_forecast_out(const unirep_forecaster* f, const float* values, const size_t* steps) {
  if (!f) throw unirep::Error(unirep::StatusCode::kInvalidArgument, "forecaster: null handle");
  if (!values || !steps) throw unirep::Error(unirep::StatusCode::kInvalidArgument, "values or steps: null pointer");
}

unirep_status unirep_forecast_csv(const unirep_forecaster* f, const char* path, float* values, size_t capacity,
                                  double* times, size_t* steps) {
  return call(__func__, [&] {
    check_forecast_out(f, values, steps);
    return write_forecast(f->forecaster.forecast_csv(text(path, "path")), values, capacity, times, steps);
  });
}

unirep_status unirep_forecast_values(const unirep_forecaster* f, const double* history_times, const float* history,
                                     size_t rows, size_t columns, float* values, size_t capacity, double* times,
                                     size_t* steps) {
  return call(__func__, [&] {
    check_forecast_out(f, values, steps);
    const size_t limit = unirep::api_detail::kMaxHistoryValues;
    if (rows > limit || (columns > 0 && rows > limit / columns))
      invalid("unirep_forecast_values: rows x columns " + std::to_string(rows) + " x " + std::to_string(columns) +
              " exceeds the limit of " + std::to_string(limit) + " values");
    return write_forecast(f->forecaster.forecast_values(history_times, history, rows, columns), values, capacity, times,
                          steps);
  });
}

// ---- backbone ----

unirep_status unirep_backbone_load(const char* model, const char* weights, const unirep_options* options,
                                   unirep_backbone** out) {
  return call(__func__, [&] {
    if (!out) throw unirep::Error(unirep::StatusCode::kInvalidArgument, "out: null pointer");
    *out = nullptr;
    *out =
        new unirep_backbone{unirep::Backbone(text(model, "model"), weights ? weights : "", runtime_options(options))};
    return UNIREP_OK;
  });
}

void unirep_backbone_free(unirep_backbone* b) {
  delete b;
}

unirep_status unirep_backbone_pooled(const unirep_backbone* b, const float* input, const int64_t shape[4],
                                     float* features, size_t capacity, size_t* width) {
  return call(__func__, [&] {
    if (!b) throw unirep::Error(unirep::StatusCode::kInvalidArgument, "backbone: null handle");
    if (!shape || !features || !width)
      throw unirep::Error(unirep::StatusCode::kInvalidArgument, "shape, features or width: null pointer");
    const auto channels = b->backbone.stage_channels();
    *width = static_cast<size_t>(channels.back());
    if (shape[0] < 1 || shape[0] > unirep::api_detail::kMaxShapeDimension)
      invalid("unirep_backbone_pooled: shape[0] (N) " + std::to_string(shape[0]) + " is out of range (1.." +
              std::to_string(unirep::api_detail::kMaxShapeDimension) + ")");
    const size_t needed = static_cast<size_t>(shape[0]) * *width;
    if (capacity < needed)
      return fail(UNIREP_ERROR_BUFFER_TOO_SMALL, "features: " + std::to_string(capacity) + " floats, " +
                                                     std::to_string(needed) + " needed (N x width)");
    const auto pooled = b->backbone.pooled_features(input, {shape[0], shape[1], shape[2], shape[3]});
    std::memcpy(features, pooled.values.data(), pooled.values.size() * sizeof(float));
    return UNIREP_OK;
  });
}

}  // extern "C"

// ---- Training -------------------------------------------------------------------------------------

struct unirep_training_result {
  std::string model_file, json;
};

namespace {

std::string metrics_json(const std::map<std::string, double>& metrics) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : metrics) j[k] = v;
  return j.dump();
}

unirep::TrainingCallback c_training_callback(unirep_training_callback callback, void* user_data) {
  if (!callback) return {};
  return [callback, user_data](const unirep::TrainingProgress& p) {
    const std::string metrics = metrics_json(p.metrics);
    unirep_training_progress c{static_cast<unirep_training_event>(p.event),
                               p.epoch,
                               p.epochs,
                               p.batch,
                               p.batches,
                               p.step,
                               p.loss,
                               p.lr,
                               p.samples_per_second,
                               metrics.c_str(),
                               p.message.c_str()};
    return callback(&c, user_data) != 0;
  };
}

std::string result_json(const unirep::TrainingResult& r) {
  nlohmann::json j;
  j["epochs_completed"] = r.epochs_completed;
  j["steps"] = r.steps;
  j["stopped"] = r.stopped;
  j["early_stopped"] = r.early_stopped;
  j["validation"] = nlohmann::json::parse(metrics_json(r.validation));
  j["test"] = nlohmann::json::parse(metrics_json(r.test));
  j["model_file"] = r.model_file;
  // A path that is not UTF-8 is replaced, not an exception (docs/api.md, Errors).
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

extern "C" {

unirep_status unirep_train(const char* task, const char* options_json, const unirep_options* options,
                           unirep_training_callback callback, void* user_data, unirep_training_result** out) {
  return call(__func__, [&] {
    if (!out) throw unirep::Error(unirep::StatusCode::kInvalidArgument, "out: null pointer");
    *out = nullptr;
    const auto r = unirep::train_json(text(task, "task"), text(options_json, "options_json"),
                                      c_training_callback(callback, user_data), runtime_options(options));
    *out = new unirep_training_result{r.model_file, result_json(r)};
    return UNIREP_OK;
  });
}

void unirep_training_result_free(unirep_training_result* result) {
  delete result;
}

const char* unirep_training_result_model_file(const unirep_training_result* result) {
  return result ? result->model_file.c_str() : "";
}

const char* unirep_training_result_json(const unirep_training_result* result) {
  return result ? result->json.c_str() : "{}";
}

}  // extern "C"
