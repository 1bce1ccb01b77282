// unirep classify-image FILE... --model a --weights unireplknet_a_in1k_224_acc77.03.pth
//   [--labels imagenet|FILE] [--top-k 5] [--json] [--size 224] [--exif-rotate]
// unirep classify-image FILE... --model-file run/best_deploy.safetensors   (from `unirep train image`)
// Official ImageNet checkpoints work as downloaded; files are decoded and transformed exactly as
// the official evaluation does, batched, and each gets its top-k labels.
#include "input_options.h"
#include "commands.h"
#include "label_scores_output.h"
#include "error_line.h"
#include "model_options.h"

#include "models/io/text_escape.h"
#include "sdk/image/image_classifier.h"
#include "sdk/image/image_labels.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace unirep::cli {

namespace {

struct ClassifyImageArgs {
  ModelOptions model;
  std::vector<std::string> files;
  std::string labels = "auto";
  int top_k = 5, batch = 8;
  bool json = false;
  sdk::ImageClassifierOptions options;

  void add_to(CLI::App& app) {
    app.add_option("files", files, "Images (JPEG, PNG, BMP, WebP, TIFF, GIF, ...; - for standard input)")
        ->required()
        ->check(existing_input(/*standard_input=*/true));
    model.add_to(app, /*weights_required=*/false, /*model_required=*/false);
    add_precision_option(app, options.inference.precision);
    app.add_option("--model-file", options.model_file,
                   "An image model written by `unirep train image` (instead of --model/--weights)")
        ->check(existing_input());
    app.add_option("--labels", labels,
                   "imagenet (the built-in ImageNet-1K names), a file with one name per line, or auto "
                   "(ImageNet-1K names for 1000 classes, else indices)");
    app.add_option("--top-k,-k", top_k, "Labels to show per file (default 5)")->check(CLI::PositiveNumber);
    app.add_option("--size", options.transform.size,
                   "Input side (default 224; 384 for the 22K->1K checkpoints, which warp instead of crop)")
        ->check(CLI::PositiveNumber);
    app.add_option("--crop-pct", options.transform.crop_pct,
                   "Short side resized to size / crop_pct before the centre crop (default 0.875)")
        ->check(CLI::Range(0.05, 1.0));
    app.add_flag("--exif-rotate", options.decode.exif_rotate,
                 "Honour EXIF orientation (the official pipeline ignores it)");
    app.add_option("--batch", batch, "Images per forward pass (default 8)")->check(CLI::PositiveNumber);
    app.add_flag("--json", json, "One JSON object per file");
  }

  // The classifier's options from the flags: a trained model file, or a backbone with its weights.
  void finalize() {
    model.finalize();
    if (options.model_file.empty() == model.spec.model.empty())
      throw std::invalid_argument("give either --model-file, or --model with --weights");
    if (options.model_file.empty() && model.spec.weights.empty())
      throw std::invalid_argument("--model needs --weights (an ImageNet checkpoint or any classifier's weights)");
    options.backbone = model.spec;
    if (labels == "imagenet")
      options.labels = sdk::imagenet1k_labels();
    else if (labels != "auto")
      options.labels = sdk::read_label_file(labels);
  }
};

void print_top(const std::string& name, const std::vector<LabelScore>& top, bool json) {
  if (json) {
    nlohmann::json j;
    j["file"] = io::utf8_for_json(name);
    j["top"] = label_scores_json(top);
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s\n", name.c_str());
    print_label_scores(top, 28);
  }
}

// Files [start, end) in one forward pass, each printed with its top labels; a file that fails is
// reported and counted, the others go on. Returns the failures.
int classify_batch(sdk::ImageClassifier& classifier, const ClassifyImageArgs& a, size_t start, size_t end) {
  int failures = 0;
  std::vector<std::string> names;
  std::vector<at::Tensor> inputs;
  for (size_t f = start; f < end; ++f) {
    try {
      inputs.push_back(classifier.preprocess(a.files[f]));
      names.push_back(a.files[f]);
    } catch (const std::exception& e) {
      print_error(e.what());
      ++failures;
    }
  }
  if (inputs.empty()) return failures;
  const auto probs = classifier.probabilities(at::stack(inputs));
  for (size_t i = 0; i < names.size(); ++i) {
    std::vector<LabelScore> top;
    try {
      top = classifier.top_k(probs[static_cast<int64_t>(i)], a.top_k);
    } catch (const std::exception& e) {
      print_error(names[i] + ": " + e.what());
      ++failures;
      continue;
    }
    print_top(names[i], top, a.json);
  }
  std::fflush(stdout);
  return failures;
}

}  // namespace

Command add_classify_image(CLI::App& app) {
  auto a = std::make_shared<ClassifyImageArgs>();
  a->add_to(app);
  return [a]() {
    a->finalize();
    sdk::ImageClassifier classifier(a->options);
    for (const auto& note : classifier.notes()) std::fprintf(stderr, "note: %s\n", note.c_str());
    int failures = 0;
    const size_t batch = static_cast<size_t>(a->batch);
    for (size_t start = 0; start < a->files.size(); start += batch)
      failures += classify_batch(classifier, *a, start, std::min(a->files.size(), start + batch));
    return failures ? 1 : 0;
  };
}

}  // namespace unirep::cli
