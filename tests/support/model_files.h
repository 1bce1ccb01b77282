#pragma once
// Small model files with fixed random weights, written through the internal SDK: the tests check
// that every loader gives what the SDK gives for them, and the fuzz targets start from them.
// Nothing here needs GoogleTest or the CLI.
#include <string>
#include <vector>

namespace unirep::testing {

// Each writes a model file at `path` and returns its labels.
std::vector<std::string> write_audio_model(const std::string& path);
std::vector<std::string> write_image_model(const std::string& path);
std::vector<std::string> write_point_model(const std::string& path);
std::vector<std::string> write_video_model(const std::string& path);
// The video model's backbone as a JSON config and a plain weights file (like an official checkpoint).
void write_video_backbone(const std::string& json_path, const std::string& weights_path);
// An audio model file whose stored layout does not fit its weights (dims changed after export).
void write_mismatched_audio_model(const std::string& path);
}  // namespace unirep::testing
