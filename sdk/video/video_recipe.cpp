// The video task: a video folder (ImageNet layout, class folders, or a CSV) and a backbone
// classifier on the clips reshaped into one image (docs/video.md, "Training").
#include "models/backbone/backbone_config.h"
#include "modalities/video/video_file_list.h"
#include "modalities/video/video_reader.h"
#include "modalities/video/video_transform.h"
#include "sdk/tasks/labelled_files.h"
#include "sdk/tasks/task_recipe.h"
#include "sdk/video/video_classifier.h"
#include "sdk/video/video_dataset.h"
#include "sdk/video/video_model.h"

#include <ATen/ATen.h>

#include <cmath>

namespace unirep::sdk {
namespace {

class VideoRecipe : public TaskRecipe {
 public:
  std::string name() const override { return "video"; }
  std::string description() const override { return "Classify video clips"; }
  bool needs_model() const override { return false; }

  std::vector<Option> options() const override {
    const modalities::VideoTransformOptions transform;
    const VideoAugmentOptions aug;
    auto options = data_options();
    options.insert(options.end(),
                   {integer_option("size", transform.size, "Input side", 1, 4096),
                    number_option("scale_min", aug.scale_min, "Smallest random-resized-crop area fraction", 0.01, 1),
                    number_option("hflip", aug.hflip, "Probability of a horizontal flip", 0, 1),
                    integer_option("frames", transform.sampling.clip_len,
                                   "Frames per clip (frames x size must be a multiple of 4)", 1, 1024),
                    integer_option("sampling_rate", transform.sampling.sampling_rate,
                                   "The window is frames x rate frames", 1, 1024)});
    return options;
  }

  PreparedTraining prepare(const Settings& s, TrainOptions& t, const NoteCallback& note) const override;

  std::map<std::string, double> test(const Settings& s, const std::string& model_file, const TrainOptions&,
                                     const CountCallback& progress) const override {
    Settings e(evaluation_options());
    e.set("model_file", model_file);
    e.set("data", s.text("data"));
    return evaluate(e, progress).metrics;
  }

  std::vector<Option> preprocess_options() const override {
    const modalities::VideoTransformOptions transform;
    return {
        integer_option("size", transform.size, "Input side", 1, 4096),
        integer_option("frames", transform.sampling.clip_len, "Frames per clip", 1, 1024),
        integer_option("sampling_rate", transform.sampling.sampling_rate, "The window is frames x rate frames", 1,
                       1024),
        integer_option("view", 0, "0 = the validation view; 1..15 = that test view (5 temporal x 3 spatial)", 0, 15)};
  }

  // The validation view, or one of the 15 test views (docs/video.md).
  PreprocessedInput preprocess(const std::string& file, const Settings& s) const override {
    refuse_standard_input(file, name());
    modalities::VideoTransformOptions o;
    o.size = static_cast<int>(s.integer("size"));
    o.sampling.clip_len = static_cast<int>(s.integer("frames"));
    o.sampling.sampling_rate = static_cast<int>(s.integer("sampling_rate"));
    const auto view = s.integer("view");
    modalities::VideoReader reader(file);
    auto x =
        view == 0 ? modalities::validation_view(reader, o) : modalities::test_views(reader, o)[view - 1].contiguous();
    return {x, std::to_string(reader.info().frames) + " frames; " + shape_text(x)};
  }

  std::vector<Option> evaluation_options() const override {
    return {
        file_option("model_file", "Model file written by training", true),
        text_option("data", "", "Videos: a folder or a CSV of path,label"),
        text_option("split", "test", "Split to score (a CSV is always all)", {"test", "validation", "train", "all"}),
        integer_option("views", 1, "1 (the validation clip) or 15 (5 temporal x 3 spatial, scores averaged)", 1, 15),
        precision_option()};
  }

  Evaluation evaluate(const Settings& s, const CountCallback& progress) const override;
};

PreparedTraining VideoRecipe::prepare(const Settings& s, TrainOptions& t, const NoteCallback& note) const {
  const auto data = s.text("data");
  const int size = static_cast<int>(s.integer("size"));
  const int64_t frames = s.integer("frames");
  if ((frames * size) % 4 != 0)
    throw std::invalid_argument("video: option 'frames' x option 'size' must be a multiple of 4");
  const auto list = modalities::list_video_dataset(data);
  if (list.labels.size() < 2) throw std::invalid_argument(data + ": a video classifier needs at least two classes");
  VideoModelSpec spec;
  // Without a model, the official Kinetics layout (docs/video.md).
  spec.backbone = s.text("model").empty() ? video_b_layout() : models::resolve_config(s.text("model"));
  spec.backbone.in_chans = 3;
  spec.backbone.num_classes = static_cast<int64_t>(list.labels.size());
  spec.labels = list.labels;
  spec.transform.size = size;
  spec.transform.sampling.clip_len = frames;
  spec.transform.sampling.sampling_rate = s.integer("sampling_rate");
  auto task = std::make_unique<VideoTask>(spec, s.number("drop_path"));
  if (s.given("weights"))
    load_initial_weights(task->model(), s.text("weights"), list.labels.size(), s.flag("strict"), note);
  VideoAugmentOptions aug;
  aug.scale_min = s.number("scale_min");
  aug.hflip = s.number("hflip");
  const auto k = static_cast<int64_t>(list.labels.size());
  PreparedTraining p;
  p.task = std::move(task);
  p.train = std::make_shared<VideoDataset>(list.train, k, spec.transform,
                                           s.flag("augment") ? std::optional(aug) : std::nullopt, t.seed);
  if (!list.validation.empty()) p.validation = std::make_shared<VideoDataset>(list.validation, k, spec.transform);
  if (!list.test.empty()) p.test = std::make_shared<VideoDataset>(list.test, k, spec.transform);
  const auto side = std::to_string(size);
  if (note)
    note("video data: " + std::to_string(list.labels.size()) + " classes, " + std::to_string(list.train.size()) +
         " train, " + std::to_string(list.validation.size()) + " validation, " + std::to_string(list.test.size()) +
         " test clips; " + std::to_string(frames) + " frames of " + side + " x " + side + " -> " +
         std::to_string(frames * size / 4) + " x " + std::to_string(4 * size) + " images");
  return p;
}

Evaluation VideoRecipe::evaluate(const Settings& s, const CountCallback& progress) const {
  s.require(name());
  const auto data = s.text("data");
  if (data.empty()) throw std::invalid_argument(name() + ": option 'data' is required");
  const auto views = static_cast<int>(s.integer("views"));
  if (views != 1 && views != 15)
    throw std::invalid_argument("video: option 'views' must be 1 or 15, got " + std::to_string(views));
  VideoClassifierOptions opts;
  opts.model_file = s.text("model_file");
  opts.inference = inference_settings(s);
  VideoClassifier clf(opts);
  const auto list = modalities::list_video_dataset(data);
  const auto& chosen = evaluation_split(list, s.text("split"), data);
  const auto to_model = map_labels_by_name(list.labels, clf.labels(), data);
  Evaluation out;
  out.report.emplace(clf.labels());
  size_t top5 = 0;  // top-1 is counted by the report
  double loss = 0;
  for (size_t i = 0; i < chosen.size(); ++i) {
    const auto probs = clf.probabilities(chosen[i].path, views);
    const int64_t label = to_model[static_cast<size_t>(chosen[i].label)];
    const auto top = std::get<1>(probs.topk(std::min<int64_t>(5, probs.size(0))));
    top5 += (top == label).any().item<bool>();
    out.report->add(static_cast<int>(label), static_cast<int>(top[0].item<int64_t>()));
    loss -= std::log(std::max(probs[label].item<double>(), 1e-12));
    if (progress) progress(static_cast<int64_t>(i + 1), static_cast<int64_t>(chosen.size()));
  }
  const double n = static_cast<double>(chosen.size());
  out.metrics = {
      {"clips", n}, {"top1", out.report->overall().percent()}, {"top5", 100.0 * top5 / n}, {"loss", loss / n}};
  return out;
}

}  // namespace

const TaskRecipe& video_recipe() {
  static const VideoRecipe recipe;
  return recipe;
}

}  // namespace unirep::sdk
