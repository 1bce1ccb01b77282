#include "video_task_setup.h"
#include "task_support.h"

#include <unirep/modalities/video/video_file_list.h>
#include <unirep/models/backbone_config.h>
#include <unirep/models/state_dict.h>
#include <unirep/sdk/backbone_loader.h>
#include <unirep/sdk/progress.h>
#include <unirep/sdk/video/video_classifier.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace unirep::cli {
namespace vid = modalities::video;

void VideoTaskOptions::add_to(CLI::App& app) {
  app.add_option("--frames", frames, "video: frames per clip (default 16; frames x size must be a multiple of 4)")->check(CLI::PositiveNumber);
  app.add_option("--sampling-rate", sampling_rate, "video: the window is frames x rate frames (default 4)")->check(CLI::PositiveNumber);
}

VideoTraining build_video_training(const VideoTaskOptions& o, int size, double scale_min, double hflip, const std::string& data,
                                   bool augment, const std::string& model, const std::string& weights, double drop_path, uint64_t seed) {
  if (data.empty()) throw std::invalid_argument("train video needs --data (a video folder or a CSV of path,label)");
  if ((o.frames * size) % 4 != 0) throw std::invalid_argument("--frames x --size must be a multiple of 4");
  const auto list = vid::list_video_dataset(data);
  if (list.labels.size() < 2) throw std::invalid_argument(data + ": a video classifier needs at least two classes");
  sdk::video::VideoModelSpec spec;
  spec.backbone = model.empty() ? sdk::video::video_b_layout() : models::resolve_config(model);
  spec.backbone.in_chans = 3;
  spec.backbone.num_classes = static_cast<int64_t>(list.labels.size());
  spec.labels = list.labels;
  spec.transform.size = size;
  spec.transform.sampling.clip_len = o.frames;
  spec.transform.sampling.sampling_rate = o.sampling_rate;
  VideoTraining t;
  t.task = std::make_unique<sdk::video::VideoTask>(spec, drop_path);
  if (!weights.empty()) {
    load_fine_tune_weights(t.task->model(), weights, list.labels.size());
  }
  sdk::video::VideoAugmentOptions aug;
  aug.scale_min = scale_min;
  aug.hflip = hflip;
  const auto K = static_cast<int64_t>(list.labels.size());
  t.train = std::make_shared<sdk::video::VideoDataset>(list.train, K, spec.transform, augment ? std::optional(aug) : std::nullopt, seed);
  if (!list.validation.empty()) t.validation = std::make_shared<sdk::video::VideoDataset>(list.validation, K, spec.transform);
  if (!list.test.empty()) t.test = std::make_shared<sdk::video::VideoDataset>(list.test, K, spec.transform);
  std::fprintf(stderr, "video data: %zu classes, %zu train, %zu validation, %zu test clips; %lld frames of %d x %d -> %lld x %lld images\n",
               list.labels.size(), list.train.size(), list.validation.size(), list.test.size(), (long long)o.frames, size, size,
               (long long)(o.frames * size / 4), (long long)(4 * size));
  return t;
}

ClassifierEvaluation evaluate_video_model(const std::string& model_file, const std::string& data, const std::string& split,
                                          int views, const std::string& report_path) {
  sdk::video::VideoClassifierOptions opts;
  opts.model_file = model_file;
  sdk::video::VideoClassifier clf(opts);
  const auto list = vid::list_video_dataset(data);
  const auto* chosen = &evaluation_split(list, split, data);
  const auto to_model = map_labels_by_name(list.labels, clf.labels(), data);
  ReportFile report_file(report_path);
  ClassifierEvaluation out;
  out.report.emplace(clf.labels());
  size_t top5 = 0;  // top-1 is counted by the report
  double loss = 0;
  sdk::Progress progress("evaluate", static_cast<int64_t>(chosen->size()), "clip");
  for (size_t i = 0; i < chosen->size(); ++i) {
    const auto probs = clf.probabilities((*chosen)[i].path, views);
    const int64_t label = to_model[static_cast<size_t>((*chosen)[i].label)];
    const auto top = std::get<1>(probs.topk(std::min<int64_t>(5, probs.size(0))));
    top5 += (top == label).any().item<bool>();
    out.report->add(static_cast<int>(label), static_cast<int>(top[0].item<int64_t>()));
    loss -= std::log(std::max(probs[label].item<double>(), 1e-12));
    progress.update(static_cast<int64_t>(i + 1));
  }
  progress.finish();
  const double n = static_cast<double>(chosen->size());
  out.metrics = {{"clips", n}, {"top1", out.report->overall().percent()}, {"top5", 100.0 * top5 / n}, {"loss", loss / n}};
  report_file.write(*out.report);
  return out;
}

}  // namespace unirep::cli
