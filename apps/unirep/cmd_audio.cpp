// Audio from the command line:
//
//   unirep preprocess audio FILE --output-npy OUT.npy [--raw-fbank]    backbone input or raw log-mel
//   unirep classify-audio FILE... --model-file M [--top-k K] [--json]   labels, scores, timeline
#include "input_options.h"
#include "commands.h"
#include "model_options.h"
#include "label_scores_output.h"
#include "error_line.h"

#include "models/io/text_escape.h"
#include "models/io/npy.h"
#include "modalities/audio/audio_input.h"
#include "sdk/audio/audio_classifier.h"
#include "sdk/audio/audio_dataset.h"
#include "sdk/threads.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace unirep::cli {

Command add_classify_audio(CLI::App& app) {
  struct Args {
    std::vector<std::string> files;
    std::string model_file;
    sdk::ClassifyOptions options;
    bool json = false;
    int threads = 0;
    sdk::InferenceSettings inference;
  };
  auto a = std::make_shared<Args>();
  app.add_option("files", a->files, "Audio files (any format, any rate, any length)")
      ->required()
      ->check(existing_input());
  app.add_option("--model-file,-m", a->model_file, "Trained audio model (.safetensors written by unirep train audio)")
      ->required()
      ->check(existing_input());
  app.add_option("--top-k,-k", a->options.top_k, "Labels to show per file (default 5)")->check(CLI::PositiveNumber);
  app.add_option("--hop", a->options.hop_s, "Sliding-window hop in seconds for long files (default 0.5)")
      ->check(CLI::PositiveNumber)
      ->check(CLI::Range(0.0, 3600.0));
  app.add_flag("--json", a->json, "One JSON object per file (labels, scores, windows, segments)");
  app.add_option("--threads,-t", a->threads, "CPU threads (default: all cores)")->check(CLI::NonNegativeNumber);
  add_precision_option(app, a->inference.precision);
  return [a]() {
    sdk::configure_threads(a->threads);
    auto clf = sdk::AudioClassifier::load(a->model_file, a->inference);
    int failures = 0;
    for (const auto& f : a->files) {
      sdk::AudioClassification r;
      try {
        r = clf.classify_file(f, a->options);
      } catch (const std::exception& e) {
        print_error(e.what());
        ++failures;
        continue;
      }
      if (a->json) {
        nlohmann::json j;
        j["file"] = io::utf8_for_json(f);
        j["duration_s"] = r.duration_s;
        for (const auto& t : r.top) j["top"].push_back({{"label", io::utf8_for_json(t.label)}, {"score", t.score}});
        if (r.windows.size() > 1) {
          for (const auto& s : r.segments)
            j["segments"].push_back({{"start_s", s.start_s},
                                     {"end_s", s.end_s},
                                     {"label", io::utf8_for_json(s.label)},
                                     {"score", s.score}});
          for (const auto& w : r.windows)
            j["windows"].push_back({{"start_s", w.start_s}, {"end_s", w.end_s}, {"scores", w.scores}});
        }
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("%s (%.2f s)\n", f.c_str(), r.duration_s);
        print_label_scores(r.top, 12);
        if (r.windows.size() > 1) {
          std::printf("  timeline:\n");
          for (const auto& s : r.segments)
            std::printf("    %8.2f - %8.2f s  %-12s %.4f\n", s.start_s, s.end_s, s.label.c_str(), s.score);
        }
      }
      std::fflush(stdout);
    }
    return failures ? 1 : 0;
  };
}

}  // namespace unirep::cli
