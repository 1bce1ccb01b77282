// unirep classify-image FILE... --model a --weights unireplknet_a_in1k_224_acc77.03.pth
//   [--labels imagenet|FILE] [--top-k 5] [--json] [--size 224] [--exif-rotate]
// unirep classify-image FILE... --model-file run/best_deploy.safetensors   (from `unirep train image`)
// Official ImageNet checkpoints work as downloaded; files are decoded and transformed exactly as
// the official evaluation does, batched, and each gets its top-k labels.
#include "input_options.h"
#include "commands.h"
#include "error_line.h"
#include "model_options.h"

#include "models/io/text_escape.h"
#include "sdk/image/image_classifier.h"
#include "sdk/image/image_labels.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace unirep::cli {

Command add_classify_image(CLI::App& app) {
  struct Args {
    ModelOptions model;
    std::vector<std::string> files;
    std::string labels = "auto";
    int top_k = 5, batch = 8;
    bool json = false;
    sdk::ImageClassifierOptions options;
  };
  auto a = std::make_shared<Args>();
  app.add_option("files", a->files, "Images (JPEG, PNG, BMP, WebP, TIFF, GIF, ...; - for standard input)")
      ->required()
      ->check(existing_input(/*standard_input=*/true));
  a->model.add_to(app, /*weights_required=*/false, /*model_required=*/false);
  app.add_option("--model-file", a->options.model_file,
                 "An image model written by `unirep train image` (instead of --model/--weights)")
      ->check(existing_input());
  app.add_option("--labels", a->labels,
                 "imagenet (the built-in ImageNet-1K names), a file with one name per line, or auto "
                 "(ImageNet-1K names for 1000 classes, else indices)");
  app.add_option("--top-k,-k", a->top_k, "Labels to show per file (default 5)")->check(CLI::PositiveNumber);
  app.add_option("--size", a->options.transform.size,
                 "Input side (default 224; 384 for the 22K->1K checkpoints, which warp instead of crop)")
      ->check(CLI::PositiveNumber);
  app.add_option("--crop-pct", a->options.transform.crop_pct,
                 "Short side resized to size / crop_pct before the centre crop (default 0.875)")
      ->check(CLI::Range(0.05, 1.0));
  app.add_flag("--exif-rotate", a->options.decode.exif_rotate,
               "Honour EXIF orientation (the official pipeline ignores it)");
  app.add_option("--batch", a->batch, "Images per forward pass (default 8)")->check(CLI::PositiveNumber);
  app.add_flag("--json", a->json, "One JSON object per file");
  return [a]() {
    a->model.finalize();
    if (a->options.model_file.empty() == a->model.spec.model.empty())
      throw std::invalid_argument("give either --model-file, or --model with --weights");
    if (a->options.model_file.empty() && a->model.spec.weights.empty())
      throw std::invalid_argument("--model needs --weights (an ImageNet checkpoint or any classifier's weights)");
    a->options.backbone = a->model.spec;
    if (a->labels == "imagenet")
      a->options.labels = sdk::imagenet1k_labels();
    else if (a->labels != "auto")
      a->options.labels = sdk::read_label_file(a->labels);
    sdk::ImageClassifier classifier(a->options);
    for (const auto& note : classifier.notes()) std::fprintf(stderr, "note: %s\n", note.c_str());
    int failures = 0;
    for (size_t start = 0; start < a->files.size(); start += static_cast<size_t>(a->batch)) {
      std::vector<std::string> names;
      std::vector<at::Tensor> inputs;
      for (size_t f = start; f < std::min(a->files.size(), start + static_cast<size_t>(a->batch)); ++f) {
        try {
          inputs.push_back(classifier.preprocess(a->files[f]));
          names.push_back(a->files[f]);
        } catch (const std::exception& e) {
          print_error(e.what());
          ++failures;
        }
      }
      if (inputs.empty()) continue;
      const auto probs = classifier.probabilities(at::stack(inputs));
      for (size_t i = 0; i < names.size(); ++i) {
        std::vector<LabelScore> top;
        try {
          top = classifier.top_k(probs[static_cast<int64_t>(i)], a->top_k);
        } catch (const std::exception& e) {
          print_error(names[i] + ": " + e.what());
          ++failures;
          continue;
        }
        if (a->json) {
          nlohmann::json j;
          j["file"] = io::utf8_for_json(names[i]);
          for (const auto& t : top)
            j["top"].push_back({{"label", io::utf8_for_json(t.label)}, {"index", t.index}, {"score", t.score}});
          std::printf("%s\n", j.dump().c_str());
        } else {
          std::printf("%s\n", names[i].c_str());
          for (const auto& t : top) std::printf("  %-28s %.4f\n", t.label.c_str(), t.score);
        }
      }
      std::fflush(stdout);
    }
    return failures ? 1 : 0;
  };
}

}  // namespace unirep::cli
