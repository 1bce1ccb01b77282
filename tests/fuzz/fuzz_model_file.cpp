// Model files (safetensors + unirep metadata) through the loaders apps use: the kind from the
// header, then the full load of that kind (metadata JSON, task settings, building the network the
// file describes, strict weight loading). Any bytes must give a loaded model or an exception.
#include "sdk/audio/audio_classifier.h"
#include "sdk/image/image_classifier.h"
#include "sdk/model_file.h"
#include "sdk/points/point_model.h"
#include "sdk/timeseries/forecast_model.h"
#include "sdk/video/video_classifier.h"

#include <exception>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = unirep::fuzz::write_input(data, size, ".safetensors");
  try {
    const auto kind = unirep::sdk::read_model_file_kind(path);
    if (kind == "audio_classifier") {
      (void)unirep::sdk::AudioClassifier::load(path);
    } else if (kind == "point_classifier") {
      (void)unirep::sdk::PointCloudRecognizer::load(path);
    } else if (kind == "forecaster") {
      (void)unirep::sdk::load_forecaster(path);
    } else if (kind == "image_classifier") {
      unirep::sdk::ImageClassifierOptions o;
      o.model_file = path;
      unirep::sdk::ImageClassifier clf(o);
    } else if (kind == "video_classifier") {
      unirep::sdk::VideoClassifierOptions o;
      o.model_file = path;
      unirep::sdk::VideoClassifier clf(o);
    }
  } catch (const std::exception&) {
  }
  return 0;
}
