// The image task: an image folder (ImageNet layout train/ val/ test/, or class folders) or a CSV
// of path,label and a backbone classifier, optionally fine-tuned from a checkpoint such as the
// official ImageNet ones (the head is replaced when the class count differs; docs/images.md).
#include "models/backbone/backbone_config.h"
#include "modalities/image/image_file_list.h"
#include "modalities/image/image_transform.h"
#include "sdk/image/image_classifier.h"
#include "sdk/image/image_dataset.h"
#include "sdk/image/image_model.h"
#include "sdk/tasks/labelled_files.h"
#include "sdk/tasks/task_recipe.h"

#include <ATen/ATen.h>

#include <cmath>

namespace unirep::sdk {
namespace {

class ImageRecipe : public TaskRecipe {
 public:
  std::string name() const override { return "image"; }
  std::string description() const override { return "Classify images (fine-tune the official ImageNet checkpoints)"; }

  std::vector<Option> options() const override {
    const modalities::ImageAugmentOptions aug;
    const modalities::ImageTransformOptions transform;
    const ImageMixOptions mix;
    auto options = data_options();
    options.insert(options.end(),
                   {integer_option("size", transform.size, "Input side", 1, 4096),
                    number_option("crop_pct", transform.crop_pct, "Evaluation crop fraction", 0.05, 1),
                    number_option("scale_min", aug.scale_min, "Smallest random-resized-crop area fraction", 0.01, 1),
                    number_option("hflip", aug.hflip, "Probability of a horizontal flip", 0, 1),
                    integer_option("randaug_ops", aug.randaug_ops, "RandAugment ops per image (0 = off)", 0, 100),
                    number_option("randaug_magnitude", aug.randaug_magnitude, "RandAugment magnitude of 10", 0, 10),
                    // The official recipe mixes every example; the data set's own default is off.
                    number_option("mix_prob", 1.0, "Probability of mixup/CutMix per example (0 = off)", 0, 1),
                    number_option("mixup_alpha", mix.mixup_alpha, "Mixup Beta alpha (0 = off)", 0, 1e3),
                    number_option("cutmix_alpha", mix.cutmix_alpha, "CutMix Beta alpha (0 = off)", 0, 1e3)});
    return options;
  }

  PreparedTraining prepare(const Settings& s, TrainOptions& t, const NoteCallback& note) const override;

  std::map<std::string, double> test(const Settings& s, const std::string& model_file, const TrainOptions& t,
                                     const CountCallback& progress) const override {
    Settings e(evaluation_options());
    e.set("model_file", model_file);
    e.set("data", s.text("data"));
    e.set("batch_size", std::to_string(t.batch_size));
    return evaluate(e, progress).metrics;
  }

  std::vector<Option> preprocess_options() const override {
    const modalities::ImageTransformOptions transform;
    return {
        integer_option("size", transform.size, "Input side (384 and above: warped, not cropped)", 1, 4096),
        number_option("crop_pct", transform.crop_pct, "Short side resized to size / crop_pct before the crop", 0.05, 1),
        flag_option("exif_rotate", modalities::ImageDecodeOptions{}.exif_rotate,
                    "Honour EXIF orientation (the official pipeline ignores it)")};
  }

  // The official evaluation transform (docs/images.md).
  PreprocessedInput preprocess(const std::string& file, const Settings& s) const override {
    modalities::ImageTransformOptions transform;
    transform.size = static_cast<int>(s.integer("size"));
    transform.crop_pct = s.number("crop_pct");
    modalities::ImageDecodeOptions decode;
    decode.exif_rotate = s.flag("exif_rotate");
    auto x = modalities::load_image_input(file, transform, decode);
    return {x, shape_text(x)};
  }

  std::vector<Option> evaluation_options() const override {
    return {
        file_option("model_file", "Model file written by training", true),
        text_option("data", "", "Images: a folder or a CSV of path,label"),
        text_option("split", "test", "Split to score (a CSV is always all)", {"test", "validation", "train", "all"}),
        integer_option("batch_size", 32, "Batch size", 1, 1e9), precision_option()};
  }

  Evaluation evaluate(const Settings& s, const CountCallback& progress) const override;
};

PreparedTraining ImageRecipe::prepare(const Settings& s, TrainOptions& t, const NoteCallback& note) const {
  const auto data = s.text("data");
  const auto list = modalities::list_image_dataset(data);
  if (list.labels.size() < 2) throw std::invalid_argument(data + ": an image classifier needs at least two classes");
  const int size = static_cast<int>(s.integer("size"));
  ImageModelSpec spec;
  spec.backbone = models::resolve_config(s.text("model"));
  spec.backbone.in_chans = 3;
  spec.backbone.num_classes = static_cast<int64_t>(list.labels.size());
  spec.labels = list.labels;
  spec.transform.size = size;
  spec.transform.crop_pct = s.number("crop_pct");
  auto task = std::make_unique<ImageTask>(spec, s.number("drop_path"));
  if (s.given("weights"))
    load_initial_weights(task->model(), s.text("weights"), list.labels.size(), s.flag("strict"), note);
  modalities::ImageAugmentOptions aug;
  aug.size = size;
  aug.scale_min = s.number("scale_min");
  aug.hflip = s.number("hflip");
  aug.randaug_ops = static_cast<int>(s.integer("randaug_ops"));
  aug.randaug_magnitude = s.number("randaug_magnitude");
  ImageMixOptions mix;
  mix.prob = s.number("mix_prob");
  mix.mixup_alpha = s.number("mixup_alpha");
  mix.cutmix_alpha = s.number("cutmix_alpha");
  const auto k = static_cast<int64_t>(list.labels.size());
  PreparedTraining p;
  p.task = std::move(task);
  p.train = std::make_shared<ImageDataset>(list.train, k, spec.transform,
                                           s.flag("augment") ? std::optional(aug) : std::nullopt, mix, t.seed);
  if (!list.validation.empty()) p.validation = std::make_shared<ImageDataset>(list.validation, k, spec.transform);
  if (!list.test.empty()) p.test = std::make_shared<ImageDataset>(list.test, k, spec.transform);
  const auto side = std::to_string(size);
  if (note)
    note("image data: " + std::to_string(list.labels.size()) + " classes, " + std::to_string(list.train.size()) +
         " train, " + std::to_string(list.validation.size()) + " validation, " + std::to_string(list.test.size()) +
         " test images at " + side + " x " + side);
  return p;
}

Evaluation ImageRecipe::evaluate(const Settings& s, const CountCallback& progress) const {
  s.require(name());
  const auto data = s.text("data");
  if (data.empty()) throw std::invalid_argument(name() + ": option 'data' is required");
  ImageClassifierOptions opts;
  opts.model_file = s.text("model_file");
  opts.inference = inference_settings(s);
  ImageClassifier clf(opts);
  const auto list = modalities::list_image_dataset(data);
  const auto& chosen = evaluation_split(list, s.text("split"), data);
  const auto to_model = map_labels_by_name(list.labels, clf.labels(), data);
  const auto batch_size = static_cast<size_t>(s.integer("batch_size"));
  Evaluation out;
  out.report.emplace(clf.labels());
  size_t top5 = 0;  // top-1 is counted by the report
  double loss = 0;
  for (size_t start = 0; start < chosen.size(); start += batch_size) {
    const size_t end = std::min(chosen.size(), start + batch_size);
    std::vector<at::Tensor> batch;
    for (size_t i = start; i < end; ++i) batch.push_back(clf.preprocess(chosen[i].path));
    const auto probs = clf.probabilities(at::stack(batch));
    const auto top = std::get<1>(probs.topk(std::min<int64_t>(5, probs.size(1)), 1));
    for (size_t i = start; i < end; ++i) {
      const int64_t label = to_model[static_cast<size_t>(chosen[i].label)];
      const auto row = top[static_cast<int64_t>(i - start)];
      top5 += (row == label).any().item<bool>();
      loss -= std::log(std::max(probs[static_cast<int64_t>(i - start)][label].item<double>(), 1e-12));
      out.report->add(static_cast<int>(label), static_cast<int>(row[0].item<int64_t>()));
    }
    if (progress) progress(static_cast<int64_t>(end), static_cast<int64_t>(chosen.size()));
  }
  const double n = static_cast<double>(chosen.size());
  out.metrics = {
      {"images", n}, {"top1", out.report->overall().percent()}, {"top5", 100.0 * top5 / n}, {"loss", loss / n}};
  return out;
}

}  // namespace

const TaskRecipe& image_recipe() {
  static const ImageRecipe recipe;
  return recipe;
}

}  // namespace unirep::sdk
