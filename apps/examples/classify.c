/* classify: any unirep classifier model file (audio, image, video, points) on files, in plain C.
 *
 *   classify MODEL.safetensors FILE...
 *
 * Shows the C API's pattern: a status from every call, unirep_last_error() for the message, a
 * result buffer the program owns, and an opaque handle freed at the end. */
#include <unirep/unirep.h>

#include <stdio.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL.safetensors FILE...\n", argv[0]);
    return 2;
  }
  int major, minor, patch;
  unirep_version(&major, &minor, &patch);
  if (major != UNIREP_VERSION_MAJOR || minor != UNIREP_VERSION_MINOR) {
    fprintf(stderr, "classify: built against unirep %s, running with %s\n", UNIREP_VERSION_STRING,
            unirep_version_string());
    return 1;
  }

  unirep_options options = {0}; /* all cores, cpu, default batch */
  unirep_classifier* classifier = NULL;
  unirep_status status = unirep_classifier_load(argv[1], &options, &classifier);
  if (status != UNIREP_OK) {
    fprintf(stderr, "classify: %s (%s)\n", unirep_last_error(), unirep_status_name(status));
    return 1;
  }
  printf("%s with %zu labels\n", unirep_classifier_kind(classifier), unirep_classifier_num_labels(classifier));

  int failed = 0;
  for (int i = 2; i < argc; ++i) {
    unirep_label_score top[3];
    size_t count = 0;
    status = unirep_classify_file(classifier, argv[i], top, 3, &count);
    if (status != UNIREP_OK) {
      fprintf(stderr, "classify: %s (%s)\n", unirep_last_error(), unirep_status_name(status));
      failed = 1;
      continue;
    }
    printf("%s:", argv[i]);
    for (size_t k = 0; k < count; ++k)
      printf(" %s %.3f", unirep_classifier_label(classifier, (size_t)top[k].index), top[k].score);
    printf("\n");
  }
  unirep_classifier_free(classifier);
  return failed;
}
