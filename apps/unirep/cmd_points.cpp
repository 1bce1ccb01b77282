// unirep classify-points FILE... --model-file MODEL: labels with scores for point clouds and meshes.
#include "input_options.h"
#include "commands.h"
#include "model_options.h"
#include "label_scores_output.h"
#include "error_line.h"
#include "output_options.h"
#include "view_images_png.h"

#include "models/io/text_escape.h"
#include "modalities/points/point_input.h"
#include "sdk/class_scores.h"
#include "sdk/points/point_model.h"
#include "sdk/threads.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstdio>

namespace unirep::cli {

Command add_classify_points(CLI::App& app) {
  struct Args {
    std::vector<std::string> files;
    std::string model_file, views_png;
    int top_k = 5, threads = 0;
    bool json = false, all_rotations = false;
    sdk::InferenceSettings inference;
  };
  auto a = std::make_shared<Args>();
  app.add_option("files", a->files, "Point clouds or meshes (OFF, PLY, OBJ, XYZ/TXT/CSV; - for standard input)")
      ->required()
      ->check(existing_input(/*standard_input=*/true));
  app.add_option("--model-file,-m", a->model_file, "Trained point classifier (written by unirep train points)")
      ->required()
      ->check(existing_input());
  app.add_option("--top-k,-k", a->top_k, "Labels to show per file (default 5)")->check(CLI::PositiveNumber);
  app.add_flag("--all-rotations", a->all_rotations, "Average the scores over the 8 test rotations");
  output_option(app.add_option("--views-png", a->views_png,
                               "Write the projected views of the first file (what the backbone sees)"));
  app.add_flag("--json", a->json, "One JSON object per file");
  app.add_option("--threads,-t", a->threads, "CPU threads (default: all cores)");
  add_precision_option(app, a->inference.precision);
  return [a]() {
    sdk::configure_threads(a->threads);
    auto clf = sdk::PointCloudRecognizer::load(a->model_file, a->inference);
    const auto& labels = clf.spec().labels;
    int failures = 0;
    for (size_t f = 0; f < a->files.size(); ++f) {
      const auto& file = a->files[f];
      at::Tensor points;
      try {
        points = modalities::load_point_input(file, clf.spec().input);
      } catch (const std::exception& e) {
        print_error(e.what());
        ++failures;
        continue;
      }
      std::vector<LabelScore> top;
      try {
        top = sdk::top_classes(clf.probabilities(points, a->all_rotations), labels, a->top_k);
      } catch (const std::exception& e) {
        print_error(file + ": " + e.what());
        ++failures;
        continue;
      }
      if (a->json) {
        nlohmann::json j;
        j["file"] = io::utf8_for_json(file);
        j["points"] = points.size(0);
        for (const auto& t : top) j["top"].push_back({{"label", io::utf8_for_json(t.label)}, {"score", t.score}});
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("%s (%lld points)\n", file.c_str(), (long long)points.size(0));
        print_label_scores(top, 14);
      }
      if (f == 0 && !a->views_png.empty()) {
        write_view_images_png(a->views_png,
                              clf.view_images(points).squeeze(0).reshape(
                                  {-1, 3, clf.spec().projection.image_size(), clf.spec().projection.image_size()}));
        std::fprintf(stderr, "views of %s: %s\n", file.c_str(), a->views_png.c_str());
      }
    }
    return failures ? 1 : 0;
  };
}

}  // namespace unirep::cli
