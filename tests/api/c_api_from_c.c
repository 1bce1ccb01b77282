/* Compiled as C: the C header must be valid C99, and a whole load-classify-free flow must work
 * from C. Called by c_api_test.cpp. Returns 0 on success, else writes what went wrong. */
#include <unirep/unirep.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int unirep_test_c_flow(const char* audio_model, char* message, size_t size) {
  unirep_options options = {0};
  options.threads = 1;
  unirep_classifier* clf = NULL;
  unirep_status st = unirep_classifier_load(audio_model, &options, &clf);
  if (st != UNIREP_OK) {
    snprintf(message, size, "load: %s: %s", unirep_status_name(st), unirep_last_error());
    return 1;
  }
  float* samples = (float*)malloc(sizeof(float) * 16000);
  for (int i = 0; i < 16000; ++i) samples[i] = 0.3f * (float)sin(2 * 3.14159265 * 440.0 * i / 16000.0);
  unirep_label_score top[2];
  size_t count = 0;
  st = unirep_classify_samples(clf, samples, 16000, 1, 16000, top, 2, &count);
  free(samples);
  if (st != UNIREP_OK || count != 2 || top[0].score < top[1].score ||
      unirep_classifier_label(clf, (size_t)top[0].index) == NULL) {
    snprintf(message, size, "classify: %s: %s (count %zu)", unirep_status_name(st), unirep_last_error(), count);
    unirep_classifier_free(clf);
    return 2;
  }
  snprintf(message, size, "%s %.6f", unirep_classifier_label(clf, (size_t)top[0].index), top[0].score);
  unirep_classifier_free(clf);
  return 0;
}
