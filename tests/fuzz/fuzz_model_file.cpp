// Model files (safetensors + unirep metadata) through the loaders apps use: the kind from the
// header, then the full load of that kind (metadata JSON, task settings, building the network the
// file describes, strict weight loading). Any bytes must give a loaded model or an exception.
#include <unirep/sdk/audio/audio_classifier.h>
#include <unirep/sdk/image/image_classifier.h>
#include <unirep/sdk/model_file.h>
#include <unirep/sdk/points/point_model.h>
#include <unirep/sdk/timeseries/forecast_model.h>
#include <unirep/sdk/video/video_classifier.h>

#include <exception>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = unirep::fuzz::write_input(data, size, ".safetensors");
  namespace sdk = unirep::sdk;
  try {
    const auto kind = sdk::read_model_file_kind(path);
    if (kind == "audio_classifier") {
      (void)sdk::audio::AudioClassifier::load(path);
    } else if (kind == "point_classifier") {
      (void)sdk::points::PointClassifier::load(path);
    } else if (kind == "forecaster") {
      (void)sdk::timeseries::load_forecaster(path);
    } else if (kind == "image_classifier") {
      sdk::image::ImageClassifierOptions o;
      o.model_file = path;
      sdk::image::ImageClassifier clf(o);
    } else if (kind == "video_classifier") {
      sdk::video::VideoClassifierOptions o;
      o.model_file = path;
      sdk::video::VideoClassifier clf(o);
    }
  } catch (const std::exception&) {
  }
  return 0;
}
