// unirep classify-video FILE... --model-file run/best_deploy.safetensors [--views 1|15] [--top-k 5] [--json]
// unirep classify-video FILE... --model CONFIG --weights W [--labels FILE]   (any backbone classifier)
// One view is the centred validation clip; 15 are the official Kinetics test views with averaged
// scores (docs/reference.md, Video).
#include "input_options.h"
#include "commands.h"
#include "label_scores_output.h"
#include "error_line.h"
#include "model_options.h"

#include "models/io/text_escape.h"
#include "sdk/class_scores.h"
#include "sdk/image/image_labels.h"
#include "sdk/video/video_classifier.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace unirep::cli {

Command add_classify_video(CLI::App& app) {
  struct Args {
    ModelOptions model;
    std::vector<std::string> files;
    std::string labels;
    int top_k = 5, views = 1, size = 224;
    bool json = false;
    sdk::VideoClassifierOptions options;
  };
  auto a = std::make_shared<Args>();
  app.add_option("files", a->files, "Videos (any container and codec FFmpeg reads)")
      ->required()
      ->check(existing_input());
  a->model.add_to(app, /*weights_required=*/false, /*model_required=*/false);
  add_precision_option(app, a->options.inference.precision);
  app.add_option("--model-file", a->options.model_file,
                 "A video model written by `unirep train video` (instead of --model/--weights)")
      ->check(existing_input());
  app.add_option("--labels", a->labels, "With --model: a file with one class name per line")->check(existing_input());
  app.add_option("--size", a->size, "With --model: clip frame size (default 224)")->check(CLI::PositiveNumber);
  app.add_option("--views", a->views,
                 "1 (the validation clip, default) or 15 (5 temporal x 3 spatial, softmax averaged)")
      ->check(CLI::IsMember({1, 15}));
  app.add_option("--top-k,-k", a->top_k, "Labels to show per file (default 5)")->check(CLI::PositiveNumber);
  app.add_flag("--json", a->json, "One JSON object per file");
  return [a]() {
    a->model.finalize();
    if (a->options.model_file.empty() == a->model.spec.model.empty())
      throw std::invalid_argument("give either --model-file, or --model with --weights");
    if (a->options.model_file.empty() && a->model.spec.weights.empty())
      throw std::invalid_argument("--model needs --weights");
    a->options.backbone = a->model.spec;
    a->options.transform.size = a->size;
    if (!a->labels.empty()) a->options.labels = sdk::read_label_file(a->labels);
    sdk::VideoClassifier classifier(a->options);
    for (const auto& note : classifier.notes()) std::fprintf(stderr, "note: %s\n", note.c_str());
    int failures = 0;
    for (const auto& file : a->files) {
      at::Tensor probs;
      try {
        probs = classifier.probabilities(file, a->views);
      } catch (const std::exception& e) {
        print_error(e.what());
        ++failures;
        continue;
      }
      std::vector<LabelScore> top;
      try {
        top = sdk::top_classes(probs, classifier.labels(), a->top_k);
      } catch (const std::exception& e) {
        print_error(file + ": " + e.what());
        ++failures;
        continue;
      }
      if (a->json) {
        nlohmann::json j;
        j["file"] = io::utf8_for_json(file);
        j["views"] = a->views;
        j["top"] = label_scores_json(top);
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("%s\n", file.c_str());
        print_label_scores(top, 20);
      }
      std::fflush(stdout);
    }
    return failures ? 1 : 0;
  };
}

}  // namespace unirep::cli
