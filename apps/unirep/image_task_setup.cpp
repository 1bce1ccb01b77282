#include "image_task_setup.h"
#include "task_support.h"

#include <unirep/models/backbone_config.h>
#include <unirep/models/state_dict.h>
#include <unirep/sdk/backbone_loader.h>
#include <unirep/sdk/image/image_classifier.h>
#include <unirep/sdk/progress.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace unirep::cli {
namespace img = modalities::image;

void ImageTaskOptions::add_to(CLI::App& app) {
  app.add_option("--size", size, "image: input side (default 224)")->check(CLI::PositiveNumber);
  app.add_option("--crop-pct", crop_pct, "image: evaluation crop fraction (default 0.875)")->check(CLI::Range(0.05, 1.0));
  app.add_option("--scale-min", scale_min, "image: smallest random-resized-crop area fraction (default 0.08)")->check(CLI::Range(0.01, 1.0));
  app.add_option("--hflip", hflip, "image: probability of a horizontal flip (default 0.5)")->check(CLI::Range(0.0, 1.0));
  app.add_option("--randaug-ops", randaug_ops, "image: RandAugment ops per image (default 2, 0 = off)")->check(CLI::NonNegativeNumber);
  app.add_option("--randaug-magnitude", randaug_magnitude, "image: RandAugment magnitude of 10 (default 9)")->check(CLI::Range(0.0, 10.0));
  app.add_option("--mix-prob", mix_prob, "image: probability of mixup/CutMix per example (default 1, 0 = off)")->check(CLI::Range(0.0, 1.0));
  app.add_option("--mixup-alpha", mixup_alpha, "image: mixup Beta alpha (default 0.8, 0 = off)")->check(CLI::NonNegativeNumber);
  app.add_option("--cutmix-alpha", cutmix_alpha, "image: CutMix Beta alpha (default 1.0, 0 = off)")->check(CLI::NonNegativeNumber);
}

ImageTraining build_image_training(const ImageTaskOptions& o, const std::string& data, bool augment, const std::string& model,
                                   const std::string& weights, double drop_path, uint64_t seed) {
  if (data.empty()) throw std::invalid_argument("train image needs --data (an image folder or a CSV of path,label)");
  const auto list = img::list_image_dataset(data);
  if (list.labels.size() < 2) throw std::invalid_argument(data + ": an image classifier needs at least two classes");
  sdk::image::ImageModelSpec spec;
  spec.backbone = models::resolve_config(model);
  spec.backbone.in_chans = 3;
  spec.backbone.num_classes = static_cast<int64_t>(list.labels.size());
  spec.labels = list.labels;
  spec.transform.size = o.size;
  spec.transform.crop_pct = o.crop_pct;
  ImageTraining t;
  t.task = std::make_unique<sdk::image::ImageTask>(spec, drop_path);
  if (!weights.empty()) {
    load_fine_tune_weights(t.task->model(), weights, list.labels.size());
  }
  img::ImageAugmentOptions aug;
  aug.size = o.size;
  aug.scale_min = o.scale_min;
  aug.hflip = o.hflip;
  aug.randaug_ops = o.randaug_ops;
  aug.randaug_magnitude = o.randaug_magnitude;
  sdk::image::ImageMixOptions mix;
  mix.prob = o.mix_prob;
  mix.mixup_alpha = o.mixup_alpha;
  mix.cutmix_alpha = o.cutmix_alpha;
  const auto K = static_cast<int64_t>(list.labels.size());
  t.train = std::make_shared<sdk::image::ImageDataset>(list.train, K, spec.transform, augment ? std::optional(aug) : std::nullopt, mix, seed);
  if (!list.validation.empty()) t.validation = std::make_shared<sdk::image::ImageDataset>(list.validation, K, spec.transform);
  if (!list.test.empty()) t.test = std::make_shared<sdk::image::ImageDataset>(list.test, K, spec.transform);
  std::fprintf(stderr, "image data: %zu classes, %zu train, %zu validation, %zu test images at %d x %d\n", list.labels.size(),
               list.train.size(), list.validation.size(), list.test.size(), o.size, o.size);
  return t;
}

ClassifierEvaluation evaluate_image_model(const std::string& model_file, const std::string& data, const std::string& split,
                                          size_t batch_size, const std::string& report_path) {
  sdk::image::ImageClassifierOptions opts;
  opts.model_file = model_file;
  sdk::image::ImageClassifier clf(opts);
  const auto list = img::list_image_dataset(data);
  const auto* chosen = &evaluation_split(list, split, data);
  const auto to_model = map_labels_by_name(list.labels, clf.labels(), data);
  ReportFile report_file(report_path);
  ClassifierEvaluation out;
  out.report.emplace(clf.labels());
  size_t top5 = 0;  // top-1 is counted by the report
  double loss = 0;
  sdk::Progress progress("evaluate", static_cast<int64_t>(chosen->size()), "image");
  for (size_t start = 0; start < chosen->size(); start += batch_size) {
    const size_t end = std::min(chosen->size(), start + batch_size);
    std::vector<at::Tensor> batch;
    for (size_t i = start; i < end; ++i) batch.push_back(clf.preprocess((*chosen)[i].path));
    const auto probs = clf.probabilities(at::stack(batch));
    const auto top = std::get<1>(probs.topk(std::min<int64_t>(5, probs.size(1)), 1));
    for (size_t i = start; i < end; ++i) {
      const int64_t label = to_model[static_cast<size_t>((*chosen)[i].label)];
      const auto row = top[static_cast<int64_t>(i - start)];
      top5 += (row == label).any().item<bool>();
      loss -= std::log(std::max(probs[static_cast<int64_t>(i - start)][label].item<double>(), 1e-12));
      out.report->add(static_cast<int>(label), static_cast<int>(row[0].item<int64_t>()));
    }
    progress.update(static_cast<int64_t>(end));
  }
  progress.finish();
  const double n = static_cast<double>(chosen->size());
  out.metrics = {{"images", n}, {"top1", out.report->overall().percent()}, {"top5", 100.0 * top5 / n}, {"loss", loss / n}};
  report_file.write(*out.report);
  return out;
}

}  // namespace unirep::cli
