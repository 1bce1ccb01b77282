/* unirep C API: load UniRepLKNet models and run them from C, or from any language that calls C
 * (Python ctypes, Rust, Go, C#).
 *
 * Conventions
 * - Every function returns unirep_status; UNIREP_OK is 0. On failure, unirep_last_error() returns
 *   the message of the last failed call on the calling thread ("FILE: problem"), valid until that
 *   thread's next failing call.
 * - Handles are opaque, created by *_load and released by *_free (NULL is allowed).
 * - Results go into buffers the caller owns: pass the buffer and its capacity; the count written
 *   comes back. Label scores fill at most `capacity` entries (the capacity is the top-k). Forecasts
 *   and features need their whole size: a smaller buffer gives UNIREP_ERROR_BUFFER_TOO_SMALL, the
 *   size needed, and nothing written.
 * - No exception or signal crosses this boundary. A loaded handle may be used from several threads
 *   at once; freeing it while calls are running is the caller's error.
 * - Strings are UTF-8, NUL-terminated. Strings returned by the library live as long as the handle.
 */
#ifndef UNIREP_UNIREP_H
#define UNIREP_UNIREP_H

#include <stddef.h>
#include <stdint.h>

#include <unirep/version.h>

#if defined(_WIN32)
#if defined(UNIREP_BUILDING_LIBRARY)
#define UNIREP_C_API __declspec(dllexport)
#else
#define UNIREP_C_API __declspec(dllimport)
#endif
#else
#define UNIREP_C_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum unirep_status {
  UNIREP_OK = 0,
  UNIREP_ERROR_INVALID_ARGUMENT = 1, /* a NULL handle or buffer, a bad option */
  UNIREP_ERROR_FILE_NOT_FOUND = 2,
  UNIREP_ERROR_BAD_FILE = 3,       /* unreadable, corrupt, truncated or of the wrong kind */
  UNIREP_ERROR_MODEL_MISMATCH = 4, /* weights that do not fit the architecture */
  UNIREP_ERROR_UNSUPPORTED = 5,    /* e.g. a device this build cannot use */
  UNIREP_ERROR_OUT_OF_MEMORY = 6,
  UNIREP_ERROR_INTERNAL = 7,        /* a bug: please report the message */
  UNIREP_ERROR_BUFFER_TOO_SMALL = 8 /* the count needed was returned; nothing written */
} unirep_status;

/* The version of the library actually loaded (compare with UNIREP_VERSION_* from the headers). */
UNIREP_C_API const char* unirep_version_string(void);
UNIREP_C_API void unirep_version(int* major, int* minor, int* patch);
/* "ok", "invalid argument", ... */
UNIREP_C_API const char* unirep_status_name(unirep_status status);
/* The message of the calling thread's last failure ("" if none). */
UNIREP_C_API const char* unirep_last_error(void);

/* How a model runs. Zero-initialize, then set what you need: threads 0 = all cores, device NULL =
 * "cpu", batch_size 0 = 8, precision NULL = "fp32" ("bf16": bfloat16 matrix products, on CPUs with
 * AVX512-BF16 or AMX only; elsewhere UNIREP_ERROR_UNSUPPORTED). */
typedef struct unirep_options {
  int threads;
  const char* device;
  int batch_size;
  const char* precision;
} unirep_options;

typedef struct unirep_label_score {
  int32_t index; /* class index; the name is unirep_classifier_label(handle, index) */
  float score;   /* probability */
} unirep_label_score;

/* ---- Classifiers: audio, image, video and point-cloud model files -------------------------- */

typedef struct unirep_classifier unirep_classifier;

/* Loads a model file written by `unirep train audio|image|video|points`; its kind decides. */
UNIREP_C_API unirep_status unirep_classifier_load(const char* model_file, const unirep_options* options,
                                                  unirep_classifier** out);
/* An image classifier from a variant name ("a".."xl" or a JSON config) and a weights file (an
 * official ImageNet checkpoint as downloaded, for example), ImageNet-1K labels for 1000 classes. */
UNIREP_C_API unirep_status unirep_classifier_load_image_weights(const char* model, const char* weights,
                                                                const unirep_options* options, unirep_classifier** out);
UNIREP_C_API void unirep_classifier_free(unirep_classifier* classifier);

/* "audio_classifier", "image_classifier", "video_classifier" or "point_classifier". */
UNIREP_C_API const char* unirep_classifier_kind(const unirep_classifier* classifier);
UNIREP_C_API size_t unirep_classifier_num_labels(const unirep_classifier* classifier);
/* NULL when index is out of range. */
UNIREP_C_API const char* unirep_classifier_label(const unirep_classifier* classifier, size_t index);

/* Any file of the classifier's modality: the best `capacity` labels, best first (*count = how many
 * were written: min(capacity, labels)). */
UNIREP_C_API unirep_status unirep_classify_file(const unirep_classifier* classifier, const char* path,
                                                unirep_label_score* results, size_t capacity, size_t* count);
/* Audio: `frames` frames of `channels` interleaved float samples at `sample_rate` Hz. */
UNIREP_C_API unirep_status unirep_classify_samples(const unirep_classifier* classifier, const float* samples,
                                                   size_t frames, int channels, int sample_rate,
                                                   unirep_label_score* results, size_t capacity, size_t* count);
/* Image: 8-bit RGB pixels, `stride` bytes per row (0: width * 3). */
UNIREP_C_API unirep_status unirep_classify_pixels(const unirep_classifier* classifier, const uint8_t* rgb, int width,
                                                  int height, int stride, unirep_label_score* results, size_t capacity,
                                                  size_t* count);
/* Points: `count_points` x, y, z triples. */
UNIREP_C_API unirep_status unirep_classify_points(const unirep_classifier* classifier, const float* xyz,
                                                  size_t count_points, unirep_label_score* results, size_t capacity,
                                                  size_t* count);

/* ---- Keyword spotting on a stream (docs/audio.md, "Streaming") ------------------------------- */

/* One spotter (a loaded audio model) serves any number of streams:
 *   unirep_keyword_spotter_load(...); unirep_keyword_stream_create(spotter, NULL, &stream);
 *   for each chunk: unirep_keyword_stream_accept_waveform(stream, 16000, chunk, n);
 *                   while (unirep_keyword_stream_is_ready(stream)) unirep_keyword_stream_decode(stream);
 *                   unirep_keyword_stream_get_events(stream, events, 8, &count);
 * A stream may be fed from one thread while another decodes it. Free the streams before their spotter. */
typedef struct unirep_keyword_spotter unirep_keyword_spotter;
typedef struct unirep_keyword_stream unirep_keyword_stream;

/* Zero-initialize, then set what you need: hop_s 0 = 0.1 s, threshold 0 = 0.5 (set
 * threshold_is_set to use 0 itself), smoothing 0 = 3 decisions, refractory_s 0 = 1 s (negative:
 * none). Per-keyword thresholds: num_thresholds labels and values. */
typedef struct unirep_keyword_stream_options {
  double hop_s;
  float threshold;
  int threshold_is_set;
  int smoothing;
  double refractory_s;
  size_t num_thresholds;
  const char* const* threshold_labels;
  const float* threshold_values;
} unirep_keyword_stream_options;

typedef struct unirep_keyword_event {
  int32_t index;  /* label index; the name is unirep_keyword_spotter_label(spotter, index) */
  float score;    /* smoothed probability */
  double start_s; /* the keyword's sound in the stream */
  double end_s;
  double time_s; /* stream time at which it was decided */
} unirep_keyword_event;

UNIREP_C_API unirep_status unirep_keyword_spotter_load(const char* model_file, const unirep_options* options,
                                                       unirep_keyword_spotter** out);
UNIREP_C_API void unirep_keyword_spotter_free(unirep_keyword_spotter* spotter);
UNIREP_C_API size_t unirep_keyword_spotter_num_labels(const unirep_keyword_spotter* spotter);
UNIREP_C_API const char* unirep_keyword_spotter_label(const unirep_keyword_spotter* spotter, size_t index);

/* options NULL: the defaults. */
UNIREP_C_API unirep_status unirep_keyword_stream_create(const unirep_keyword_spotter* spotter,
                                                        const unirep_keyword_stream_options* options,
                                                        unirep_keyword_stream** out);
UNIREP_C_API void unirep_keyword_stream_free(unirep_keyword_stream* stream);
/* Mono samples at sample_rate Hz (the first push fixes the rate until a reset). */
UNIREP_C_API unirep_status unirep_keyword_stream_accept_waveform(unirep_keyword_stream* stream, int sample_rate,
                                                                 const float* samples, size_t n);
UNIREP_C_API unirep_status unirep_keyword_stream_accept_pcm16(unirep_keyword_stream* stream, int sample_rate,
                                                              const int16_t* samples, size_t n);
UNIREP_C_API unirep_status unirep_keyword_stream_input_finished(unirep_keyword_stream* stream);
/* 1 when a window waits for decoding, 0 otherwise (and for NULL). */
UNIREP_C_API int unirep_keyword_stream_is_ready(const unirep_keyword_stream* stream);
UNIREP_C_API unirep_status unirep_keyword_stream_decode(unirep_keyword_stream* stream);
/* Moves up to `capacity` events, oldest first, into `events` (*count = how many); the rest wait. */
UNIREP_C_API unirep_status unirep_keyword_stream_get_events(unirep_keyword_stream* stream, unirep_keyword_event* events,
                                                            size_t capacity, size_t* count);
UNIREP_C_API unirep_status unirep_keyword_stream_reset(unirep_keyword_stream* stream);

/* ---- Forecaster -------------------------------------------------------------------------------- */

typedef struct unirep_forecaster unirep_forecaster;

UNIREP_C_API unirep_status unirep_forecaster_load(const char* model_file, const unirep_options* options,
                                                  unirep_forecaster** out);
UNIREP_C_API void unirep_forecaster_free(unirep_forecaster* forecaster);
UNIREP_C_API size_t unirep_forecaster_num_targets(const unirep_forecaster* forecaster);
UNIREP_C_API const char* unirep_forecaster_target(const unirep_forecaster* forecaster, size_t index);
UNIREP_C_API size_t unirep_forecaster_num_covariates(const unirep_forecaster* forecaster);
UNIREP_C_API size_t unirep_forecaster_history_length(const unirep_forecaster* forecaster);
UNIREP_C_API size_t unirep_forecaster_horizon(const unirep_forecaster* forecaster);

/* The steps after the end of a CSV laid out like the training file. `values` receives horizon x
 * targets floats (row-major), `times` (may be NULL) horizon seconds since the Unix epoch;
 * `capacity` is the number of floats `values` holds. */
UNIREP_C_API unirep_status unirep_forecast_csv(const unirep_forecaster* forecaster, const char* path, float* values,
                                               size_t capacity, double* times, size_t* steps);
/* `rows` x `columns` history values (targets then covariates, row-major) at regular `times`. */
UNIREP_C_API unirep_status unirep_forecast_values(const unirep_forecaster* forecaster, const double* history_times,
                                                  const float* history, size_t rows, size_t columns, float* values,
                                                  size_t capacity, double* times, size_t* steps);

/* ---- Backbone features ------------------------------------------------------------------------- */

typedef struct unirep_backbone unirep_backbone;

/* weights may be NULL or "" for random initialization. */
UNIREP_C_API unirep_status unirep_backbone_load(const char* model, const char* weights, const unirep_options* options,
                                                unirep_backbone** out);
UNIREP_C_API void unirep_backbone_free(unirep_backbone* backbone);
/* The pooled last-stage features of an N x C x H x W float input: N x width floats into
 * `features` (`capacity` floats); *width = the last stage's channels. */
UNIREP_C_API unirep_status unirep_backbone_pooled(const unirep_backbone* backbone, const float* input,
                                                  const int64_t shape[4], float* features, size_t capacity,
                                                  size_t* width);

/* ---- Training (docs/api.md, "Training") -------------------------------------------------------- */

typedef enum unirep_training_event {
  UNIREP_TRAINING_STEP = 0,      /* after each optimizer step */
  UNIREP_TRAINING_EPOCH_END = 1, /* after each epoch's validation: metrics_json */
  UNIREP_TRAINING_RESUMED = 2,   /* continuing the checkpoint in output_dir: message */
  UNIREP_TRAINING_STOPPED = 3,   /* stopped by the callback, a signal or max_steps: message */
  UNIREP_TRAINING_NOTE = 4,      /* one line about the data or the model: message */
  UNIREP_TRAINING_TESTING = 5    /* scoring the test split: batch of batches examples */
} unirep_training_event;

typedef struct unirep_training_progress {
  unirep_training_event event;
  int64_t epoch, epochs;  /* counted from 1 */
  int64_t batch, batches; /* in this epoch */
  int64_t step;           /* optimizer steps in total */
  double loss, lr, samples_per_second;
  const char* metrics_json; /* a JSON object ("{}" when none); valid during the call */
  const char* message;      /* "" when none; valid during the call */
} unirep_training_progress;

/* Return nonzero to go on, 0 to stop after the current step (the checkpoint is saved; the same
 * unirep_train call later continues it). */
typedef int (*unirep_training_callback)(const unirep_training_progress* progress, void* user_data);

typedef struct unirep_training_result unirep_training_result;

/* Trains `task` ("tensors", "audio", "image", "video", "points") with `options_json`, one JSON
 * object of the options of `unirep train TASK` with the flags' dashes as underscores, e.g.
 * {"data": "keywords/", "model": "a", "output_dir": "run/", "epochs": 5}. `options` may be NULL
 * (threads 0 = all cores). `callback` may be NULL. *out receives the result (free it). */
UNIREP_C_API unirep_status unirep_train(const char* task, const char* options_json, const unirep_options* options,
                                        unirep_training_callback callback, void* user_data,
                                        unirep_training_result** out);
UNIREP_C_API void unirep_training_result_free(unirep_training_result* result);
/* The trained model file ("" when the run stopped before writing one). */
UNIREP_C_API const char* unirep_training_result_model_file(const unirep_training_result* result);
/* Everything as one JSON object: epochs_completed, steps, stopped, early_stopped, validation,
 * test, model_file. */
UNIREP_C_API const char* unirep_training_result_json(const unirep_training_result* result);

#ifdef __cplusplus
}
#endif

#endif /* UNIREP_UNIREP_H */
