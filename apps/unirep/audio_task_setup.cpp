#include "audio_task_setup.h"

#include <unirep/models/backbone_config.h>
#include <unirep/sdk/audio/audio_classifier.h>
#include <unirep/sdk/progress.h>
#include <unirep/sdk/train/losses.h>
#include <unirep/sdk/train/metrics.h>

#include <ATen/ATen.h>

#include <cstdio>
#include <filesystem>
#include <regex>

namespace unirep::cli {
namespace audio = modalities::audio;

void AudioTaskOptions::add_to(CLI::App& app) {
  app.add_option("--data", data, "Training data. audio: a folder per class (Speech Commands layout) or a CSV of path,label; image: an image folder (ImageNet layout train/ val/ test/, or class folders) or a CSV; points: a ModelNet-style folder or a CSV");
  app.add_option("--val-data", val_data, "audio: validation clips (default: the folder's validation_list.txt)");
  app.add_option("--test-data", test_data, "audio: test clips (default: the folder's testing_list.txt)");
  app.add_option("--target-frames", target_frames, "audio: fbank frames per input (default 128)")->check(CLI::PositiveNumber);
  app.add_option("--norm-mean", norm_mean, "audio: normalization mean of the log-mel (default -6.845978)");
  app.add_option("--norm-std", norm_std, "audio: normalization std, applied as /(2*std) (default 5.5654526)")->check(CLI::PositiveNumber);
  app.add_flag("--no-augment", no_augment, "audio: no SpecAugment, noise or mixup");
  app.add_option("--mixup", mixup, "audio: waveform mixup probability (default 0.6)")->check(CLI::Range(0.0, 1.0));
  app.add_option("--freqm", freq_mask, "audio: SpecAugment frequency mask width (default 48)")->check(CLI::NonNegativeNumber);
  app.add_option("--timem", time_mask, "audio: SpecAugment time mask width (default 48)")->check(CLI::NonNegativeNumber);
  app.add_option("--speed-perturb", speed, "audio: speed perturbation on every read, factor in [1-x, 1+x] (default 0 = off)")
      ->check(CLI::Range(0.0, 0.5));
  app.add_flag("--no-noise", [this](int64_t) { noise = false; }, "audio: no noise-and-roll augmentation");
  app.add_option("--eq-db", eq_db, "audio: random smooth equalization over the mel bins, up to +-X dB per read (default 0 = off)")
      ->check(CLI::Range(0.0, 30.0));
  app.add_option("--bg-noise", bg_noise, "audio: probability of mixing a fresh background noise into each read (default 0 = off)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--bg-noise-min-snr-db", bg_noise_min_snr_db, "audio: lowest speech-to-noise ratio of --bg-noise (default 5)");
  app.add_option("--bg-noise-max-snr-db", bg_noise_max_snr_db, "audio: highest speech-to-noise ratio of --bg-noise (default 30)");
}

AudioTraining build_audio_training(const AudioTaskOptions& o, const std::string& model, double drop_path, uint64_t seed) {
  if (o.data.empty()) throw std::invalid_argument("train audio needs --data (a folder per class, or a CSV)");
  auto list = audio::list_audio_dataset(o.data);
  if (!o.val_data.empty()) list.validation = audio::list_audio_dataset(o.val_data, list.labels).train;
  if (!o.test_data.empty()) list.test = audio::list_audio_dataset(o.test_data, list.labels).train;
  if (list.train.empty()) throw std::invalid_argument(o.data + ": no training clips");

  sdk::audio::AudioModelSpec spec;
  spec.backbone = models::resolve_config(model);
  spec.backbone.in_chans = 1;
  spec.labels = list.labels;
  spec.multi_label = list.multi_label;
  spec.input.target_frames = o.target_frames;
  spec.input.norm_mean = o.norm_mean;
  spec.input.norm_std = o.norm_std;

  std::optional<audio::AudioAugmentOptions> augment;
  if (!o.no_augment) {
    audio::AudioAugmentOptions a;
    a.mixup = o.mixup;
    a.freq_mask = o.freq_mask;
    a.time_mask = o.time_mask;
    a.speed = o.speed;
    a.eq_db = o.eq_db;
    a.bg_noise = o.bg_noise;
    a.bg_noise_min_snr_db = o.bg_noise_min_snr_db;
    a.bg_noise_max_snr_db = o.bg_noise_max_snr_db;
    a.noise = o.noise;
    augment = a;
  }
  AudioTraining t;
  t.task = std::make_unique<sdk::audio::AudioTask>(spec, drop_path);
  const size_t k = list.labels.size();
  t.train = std::make_shared<sdk::audio::AudioDataset>(list.train, k, spec.input, augment, seed);
  if (!list.validation.empty()) t.validation = std::make_shared<sdk::audio::AudioDataset>(list.validation, k, spec.input);
  if (!list.test.empty()) t.test = std::make_shared<sdk::audio::AudioDataset>(list.test, k, spec.input);
  std::fprintf(stderr, "audio data: %zu labels, %zu train, %zu validation, %zu test clips%s\n", k, list.train.size(),
               list.validation.size(), list.test.size(), spec.multi_label ? " (multi-label)" : "");
  return t;
}

ClassifierEvaluation evaluate_audio_model(const std::string& model_file, const std::string& data, const AudioEvaluationOptions& o) {
  std::optional<std::regex> speaker_re;
  if (!o.speaker_pattern.empty()) {
    try {
      speaker_re.emplace(o.speaker_pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      throw std::invalid_argument("--speaker-pattern '" + o.speaker_pattern + "' is not a valid regular expression: " + e.what());
    }
    if (speaker_re->mark_count() < 1)
      throw std::invalid_argument("--speaker-pattern '" + o.speaker_pattern + "' needs a capture group (...) around the speaker");
  }
  auto clf = sdk::audio::AudioClassifier::load(model_file);
  const bool single_label = !clf.spec().multi_label;
  if (!o.report_path.empty() && !single_label)
    throw std::invalid_argument(model_file + ": --report needs a single-label model (this one is multi-label)");
  ReportFile report_file(o.report_path);
  auto list = audio::list_audio_dataset(data, clf.labels());
  std::vector<audio::AudioItem> items;
  auto add = [&](const std::vector<audio::AudioItem>& v) { items.insert(items.end(), v.begin(), v.end()); };
  if (o.split == "train" || o.split == "all") add(list.train);
  if (o.split == "validation" || o.split == "all") add(list.validation);
  if (o.split == "test" || o.split == "all") add(list.test);
  // A CSV (or a folder without split lists) has everything in "train": evaluate all of it.
  if (items.empty() && list.validation.empty() && list.test.empty()) add(list.train);
  if (items.empty()) throw std::invalid_argument(data + ": no clips in split '" + o.split + "'");

  auto speaker_of = [&](const std::string& path) -> std::string {
    if (!speaker_re) return o.by_speaker ? audio::speech_commands_speaker(path) : "";
    const std::string name = std::filesystem::path(path).filename().string();
    std::smatch m;
    // Clips the pattern does not name still count, in a group of their own, so the groups add up.
    return std::regex_search(name, m, *speaker_re) && m[1].matched ? m[1].str() : "(no match)";
  };

  ClassifierEvaluation out;
  if (single_label) out.report.emplace(clf.labels());
  sdk::audio::AudioDataset ds(items, clf.labels().size(), clf.spec().input);
  sdk::train::MetricAccumulator metrics(true);
  sdk::Progress progress("evaluate", static_cast<int64_t>(items.size()), "clip");
  for (size_t start = 0; start < items.size(); start += o.batch_size) {
    const size_t end = std::min(items.size(), start + o.batch_size);
    std::vector<at::Tensor> xs, ys;
    for (size_t i = start; i < end; ++i) {
      auto e = ds.get(i);
      xs.push_back(e.input);
      ys.push_back(e.target);
    }
    auto probs = clf.predict(at::stack(xs));
    auto target = at::stack(ys);
    const double loss = clf.spec().multi_label
                            ? sdk::train::bce_with_logits(probs.clamp(1e-7, 1 - 1e-7).logit(), target).item<double>()
                            : sdk::train::soft_target_cross_entropy(probs.clamp_min(1e-12).log(), target).item<double>();
    metrics.add(probs, target, loss);
    if (single_label) {
      auto predicted = probs.argmax(1).contiguous();
      const auto* p = predicted.data_ptr<int64_t>();
      for (size_t i = start; i < end; ++i)
        out.report->add(items[i].labels.at(0), static_cast<int>(p[i - start]), speaker_of(items[i].path));
    }
    progress.update(static_cast<int64_t>(end), "");
  }
  progress.finish("");
  out.metrics = metrics.result();
  out.metrics["clips"] = static_cast<double>(items.size());
  if (out.report) report_file.write(*out.report);
  return out;
}

}  // namespace unirep::cli
