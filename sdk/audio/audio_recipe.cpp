// The audio task: clips in a folder per class (Speech Commands layout, with its split lists) or a
// CSV of path,label, a log-mel front end and a backbone classifier (docs/audio.md, "Training").
#include "modalities/audio/audio_file_list.h"
#include "modalities/audio/audio_input.h"
#include "models/backbone/backbone_config.h"
#include "sdk/audio/audio_classifier.h"
#include "sdk/audio/audio_dataset.h"
#include "sdk/audio/audio_model.h"
#include "sdk/tasks/task_recipe.h"
#include "sdk/train/losses.h"
#include "sdk/train/metrics.h"

#include <ATen/ATen.h>

#include <filesystem>
#include <regex>

namespace unirep::sdk {
namespace {
Option renamed(Option o, const char* flag) {
  o.flag = flag;
  return o;
}

std::vector<Option> audio_options() {
  const modalities::AudioInputOptions in;
  const modalities::AudioAugmentOptions aug;
  Option noise = flag_option("noise", aug.noise, "Noise-and-roll augmentation");
  noise.flag = "no-noise", noise.negated = true;
  noise.flag_help = "No noise-and-roll augmentation";
  auto options = data_options();
  options.insert(
      options.end(),
      {
          text_option("val_data", "", "Validation clips (default: the folder's validation_list.txt)"),
          text_option("test_data", "", "Test clips (default: the folder's testing_list.txt)"),
          integer_option("target_frames", in.target_frames, "Fbank frames per input", 1, 1e6),
          number_option("norm_mean", in.norm_mean, "Normalization mean of the log-mel", -1e6, 1e6),
          number_option("norm_std", in.norm_std, "Normalization std, applied as /(2*std)", 1e-12, 1e6),
          number_option("mixup", aug.mixup, "Waveform mixup probability", 0, 1),
          renamed(integer_option("freq_mask", aug.freq_mask, "SpecAugment frequency mask width", 0, 1e6), "freqm"),
          renamed(integer_option("time_mask", aug.time_mask, "SpecAugment time mask width", 0, 1e6), "timem"),
          renamed(number_option("speed", aug.speed, "Speed perturbation on every read, factor in [1-x, 1+x] (0 = off)",
                                0, 0.5),
                  "speed-perturb"),
          noise,
          number_option("eq_db", aug.eq_db,
                        "Random smooth equalization over the mel bins, up to +-X dB per read (0 = off)", 0, 30),
          number_option("bg_noise", aug.bg_noise,
                        "Probability of mixing a fresh background noise into each read (0 = off)", 0, 1),
          number_option("bg_noise_min_snr_db", aug.bg_noise_min_snr_db, "Lowest speech-to-noise ratio of bg_noise",
                        -1e3, 1e3),
          number_option("bg_noise_max_snr_db", aug.bg_noise_max_snr_db, "Highest speech-to-noise ratio of bg_noise",
                        -1e3, 1e3),
      });
  return options;
}

std::optional<modalities::AudioAugmentOptions> augmentation(const Settings& s) {
  if (!s.flag("augment")) return std::nullopt;
  modalities::AudioAugmentOptions a;
  a.mixup = s.number("mixup");
  a.freq_mask = static_cast<int>(s.integer("freq_mask"));
  a.time_mask = static_cast<int>(s.integer("time_mask"));
  a.speed = s.number("speed");
  a.eq_db = s.number("eq_db");
  a.bg_noise = s.number("bg_noise");
  a.bg_noise_min_snr_db = s.number("bg_noise_min_snr_db");
  a.bg_noise_max_snr_db = s.number("bg_noise_max_snr_db");
  a.noise = s.flag("noise");
  return a;
}

std::optional<std::regex> speaker_regex(const std::string& pattern) {
  if (pattern.empty()) return std::nullopt;
  std::optional<std::regex> re;
  try {
    re.emplace(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw std::invalid_argument("option 'speaker_pattern': '" + pattern.substr(0, 80) +
                                "' is not a valid regular expression: " + e.what());
  }
  if (re->mark_count() < 1)
    throw std::invalid_argument("option 'speaker_pattern': '" + pattern.substr(0, 80) +
                                "' needs a capture group (...) around the speaker");
  return re;
}

std::vector<modalities::AudioItem> split_items(const modalities::AudioFileList& list, const std::string& split,
                                               const std::string& data) {
  std::vector<modalities::AudioItem> items;
  auto add = [&](const std::vector<modalities::AudioItem>& v) { items.insert(items.end(), v.begin(), v.end()); };
  if (split == "train" || split == "all") add(list.train);
  if (split == "validation" || split == "all") add(list.validation);
  if (split == "test" || split == "all") add(list.test);
  // A CSV (or a folder without split lists) has everything in "train": evaluate all of it.
  if (items.empty() && list.validation.empty() && list.test.empty()) add(list.train);
  if (items.empty()) throw std::invalid_argument(data + ": no clips in split '" + split + "'");
  return items;
}

class AudioRecipe : public TaskRecipe {
 public:
  std::string name() const override { return "audio"; }
  std::string description() const override { return "Classify audio clips (keyword spotting, sound events)"; }
  std::vector<Option> options() const override { return audio_options(); }

  PreparedTraining prepare(const Settings& s, TrainOptions& t, const NoteCallback& note) const override;
  std::map<std::string, double> test(const Settings& s, const std::string& model_file, const TrainOptions& t,
                                     const CountCallback& progress) const override;

  std::vector<Option> preprocess_options() const override {
    return {flag_option("raw_fbank", false, "The frames x 128 log-mel before padding and normalization"),
            integer_option("target_frames", modalities::AudioInputOptions{}.target_frames,
                           "Frames of the backbone input", 1, 1e6),
            file_option("model_file", "Use the preprocessing stored with this audio model")};
  }

  // The backbone input, or the raw fbank, of one clip (docs/audio.md).
  PreprocessedInput preprocess(const std::string& file, const Settings& s) const override {
    refuse_standard_input(file, name());
    modalities::AudioInputOptions o;
    if (s.given("model_file"))
      o = AudioClassifier::load(s.text("model_file")).spec().input;
    else
      o.target_frames = static_cast<int>(s.integer("target_frames"));
    const auto samples = load_waveform(file, o.sample_rate);
    auto x =
        (s.flag("raw_fbank") ? modalities::waveform_to_fbank(samples, o) : modalities::waveform_to_input(samples, o))
            .contiguous();
    return {x, std::to_string(x.size(0)) + " x " + std::to_string(x.size(1)) + " x ..."};
  }

  std::vector<Option> evaluation_options() const override {
    return {
        file_option("model_file", "Model file written by training", true),
        text_option("data", "", "Clips: a folder per class (Speech Commands layout) or a CSV of path,label"),
        text_option("split", "test", "Split to score (a CSV is always all)", {"test", "validation", "train", "all"}),
        integer_option("batch_size", 32, "Batch size", 1, 1e9),
        flag_option("by_speaker", false, "Accuracy per speaker (Speech Commands: the file name before _nohash_)"),
        text_option("speaker_pattern", "",
                    "Regex whose first capture group in the file name is the speaker (implies by_speaker)"),
        precision_option()};
  }
  Evaluation evaluate(const Settings& s, const CountCallback& progress) const override;
};

PreparedTraining AudioRecipe::prepare(const Settings& s, TrainOptions& t, const NoteCallback& note) const {
  const auto data = s.text("data");
  auto list = modalities::list_audio_dataset(data);
  if (s.given("val_data")) list.validation = modalities::list_audio_dataset(s.text("val_data"), list.labels).train;
  if (s.given("test_data")) list.test = modalities::list_audio_dataset(s.text("test_data"), list.labels).train;
  if (list.train.empty()) throw std::invalid_argument(data + ": no training clips");

  AudioModelSpec spec;
  spec.backbone = models::resolve_config(s.text("model"));
  spec.backbone.in_chans = 1;
  spec.labels = list.labels;
  spec.multi_label = list.multi_label;
  spec.input.target_frames = static_cast<int>(s.integer("target_frames"));
  spec.input.norm_mean = s.number("norm_mean");
  spec.input.norm_std = s.number("norm_std");
  // Targets are probability vectors (mixup makes them soft); cross entropy takes them as they are.
  // Multi-label data train with BCE unless a loss was chosen.
  if (spec.multi_label && !s.given("loss") && t.loss == LossKind::CrossEntropy) t.loss = LossKind::BCEWithLogits;

  PreparedTraining p;
  auto task = std::make_unique<AudioTask>(spec, s.number("drop_path"));
  if (s.given("weights")) load_initial_weights(task->model(), s.text("weights"), std::nullopt, s.flag("strict"), note);
  const size_t k = list.labels.size();
  p.train = std::make_shared<AudioDataset>(list.train, k, spec.input, augmentation(s), t.seed);
  if (!list.validation.empty()) p.validation = std::make_shared<AudioDataset>(list.validation, k, spec.input);
  if (!list.test.empty()) p.test = std::make_shared<AudioDataset>(list.test, k, spec.input);
  p.task = std::move(task);
  if (note)
    note("audio data: " + std::to_string(k) + " labels, " + std::to_string(list.train.size()) + " train, " +
         std::to_string(list.validation.size()) + " validation, " + std::to_string(list.test.size()) + " test clips" +
         (spec.multi_label ? " (multi-label)" : ""));
  return p;
}

std::map<std::string, double> AudioRecipe::test(const Settings& s, const std::string& model_file, const TrainOptions& t,
                                                const CountCallback& progress) const {
  Settings e(evaluation_options());
  e.set("model_file", model_file);
  const bool own = s.given("test_data");
  e.set("data", own ? s.text("test_data") : s.text("data"));
  e.set("split", own ? "all" : "test");
  e.set("batch_size", std::to_string(t.batch_size));
  return evaluate(e, progress).metrics;
}

Evaluation AudioRecipe::evaluate(const Settings& s, const CountCallback& progress) const {
  s.require(name());
  const auto speaker_re = speaker_regex(s.text("speaker_pattern"));
  const bool by_speaker = s.flag("by_speaker") || speaker_re;
  auto clf = AudioClassifier::load(s.text("model_file"), inference_settings(s));
  const bool single_label = !clf.spec().multi_label;
  const auto data = s.text("data");
  if (data.empty()) throw std::invalid_argument(name() + ": option 'data' is required");
  const auto items = split_items(modalities::list_audio_dataset(data, clf.labels()), s.text("split"), data);
  auto speaker_of = [&](const std::string& path) -> std::string {
    if (!speaker_re) return by_speaker ? modalities::speech_commands_speaker(path) : "";
    const std::string file = std::filesystem::path(path).filename().string();
    std::smatch m;
    // Clips the pattern does not name still count, in a group of their own, so the groups add up.
    return std::regex_search(file, m, *speaker_re) && m[1].matched ? m[1].str() : "(no match)";
  };

  Evaluation out;
  out.group_kind = "speaker";
  if (single_label) out.report.emplace(clf.labels());
  AudioDataset ds(items, clf.labels().size(), clf.spec().input);
  MetricAccumulator metrics(true);
  const auto batch_size = static_cast<size_t>(s.integer("batch_size"));
  for (size_t start = 0; start < items.size(); start += batch_size) {
    const size_t end = std::min(items.size(), start + batch_size);
    std::vector<at::Tensor> xs, ys;
    for (size_t i = start; i < end; ++i) {
      auto e = ds.get(i);
      xs.push_back(e.input);
      ys.push_back(e.target);
    }
    auto probs = clf.predict(at::stack(xs));
    auto target = at::stack(ys);
    const double loss = clf.spec().multi_label
                            ? bce_with_logits(probs.clamp(1e-7, 1 - 1e-7).logit(), target).item<double>()
                            : soft_target_cross_entropy(probs.clamp_min(1e-12).log(), target).item<double>();
    metrics.add(probs, target, loss);
    if (single_label) {
      auto predicted = probs.argmax(1).contiguous();
      const auto* p = predicted.data_ptr<int64_t>();
      for (size_t i = start; i < end; ++i)
        out.report->add(items[i].labels.at(0), static_cast<int>(p[i - start]), speaker_of(items[i].path));
    }
    if (progress) progress(static_cast<int64_t>(end), static_cast<int64_t>(items.size()));
  }
  out.metrics = metrics.result();
  out.metrics["clips"] = static_cast<double>(items.size());
  return out;
}

}  // namespace

const TaskRecipe& audio_recipe() {
  static const AudioRecipe recipe;
  return recipe;
}

}  // namespace unirep::sdk
