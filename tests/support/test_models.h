#pragma once
// Model files for the API and CLI tests, written through the internal SDK with random (but fixed) weights:
// the API must give exactly what the internal classes give for the same file.
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
// A forecaster trained for one epoch on `csv` (hourly rows "time,a,b") by the CLI.
void write_forecaster(const std::string& csv, const std::string& path);
// Hourly sinusoids from 2020-01-01 00:00, columns time,a,b.
std::string sinusoid_csv(int rows);

}  // namespace unirep::testing
