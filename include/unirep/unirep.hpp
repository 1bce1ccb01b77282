#pragma once
// The unirep C++ API: everything an app needs, with no LibTorch types. Link unirep::unirep.
//
//   #include <unirep/unirep.hpp>
//   unirep::AudioClassifier spotter("keywords.safetensors", {.threads = 1});
//
// Errors are unirep::Error (a code and a message). For tensors in and out, also include
// <unirep/api/tensors.h> (needs LibTorch's headers).
#include <unirep/api/audio_classifier.h>
#include <unirep/api/backbone.h>
#include <unirep/api/error.h>
#include <unirep/api/forecaster.h>
#include <unirep/api/image_classifier.h>
#include <unirep/api/keyword_spotter.h>
#include <unirep/api/point_cloud_recognizer.h>
#include <unirep/api/results.h>
#include <unirep/api/runtime_options.h>
#include <unirep/api/training.h>
#include <unirep/api/video_classifier.h>
#include <unirep/unirep.h>
