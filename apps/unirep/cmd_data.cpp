// unirep data keywords|shapes|fashion-mnist|motions --out DIR: the data sets the demo and the accuracy
// checks use (synthesized keywords, generated 3-D shapes, Debian's Fashion-MNIST as image folders,
// motion-classified video clips made with FFmpeg).
#include "commands.h"
#include "output_options.h"
#include "progress_bar.h"

#include "fashion_mnist.h"
#include "keyword_dataset.h"
#include "motion_dataset.h"
#include "shape_dataset.h"

#include <cstdio>
#include <map>
#include <memory>

namespace unirep::cli {
namespace {

// Runs `generate(progress)` with its progress(done, total) reports drawn as a bar labelled `label`,
// made on the first report (when the total is known); returns what `generate` returns.
template <class Generate>
auto with_progress_bar(const char* label, const char* unit, Generate&& generate) {
  std::unique_ptr<ProgressBar> bar;
  auto summary = generate([&](size_t done, size_t total) {
    if (!bar) bar = std::make_unique<ProgressBar>(label, static_cast<int64_t>(total), unit);
    bar->update(static_cast<int64_t>(done));
  });
  if (bar) bar->finish();
  return summary;
}

Command add_keywords(CLI::App& keywords) {
  auto o = std::make_shared<data_makers::KeywordDataOptions>();
  output_option(keywords.add_option("--out,-o", o->out_dir, "Output folder (Speech Commands layout with split lists)")
                    ->required(),
                {false, {}, /*folder=*/true});
  keywords.add_option("--clips", o->clips_per_word_per_voice, "Clips per word and voice (default 6)")
      ->check(CLI::PositiveNumber);
  keywords
      .add_option("--speed-perturbation", o->speed_perturbation,
                  "Training clips: random speed x0.8..x1.25 for 0.25 (pitch and formants move too); 0 = off")
      ->check(CLI::Range(0.0, 1.0));
  keywords
      .add_option(
          "--accent-vowels", o->accent_vowels,
          "Probability that a training espeak-ng clip has its stressed vowel moved as accents move it (default 0)")
      ->check(CLI::Range(0.0, 1.0));
  keywords.add_option("--seed", o->seed, "Seed (the data set is deterministic for a seed)");
  keywords.add_option("--min-snr-db", o->min_snr_db,
                      "Lowest speech-to-noise ratio of the background noise (default 5)");
  keywords.add_option("--max-snr-db", o->max_snr_db,
                      "Highest speech-to-noise ratio (default 30; e.g. 60 and 60 for nearly clean clips)");
  keywords.add_option("--threads,-t", o->threads, "Synthesizer processes at once (default: all cores)");
  return [o]() {
    auto summary = with_progress_bar(
        "keywords", "clip", [&](const auto& progress) { return data_makers::generate_keyword_dataset(*o, progress); });
    for (const auto& s : summary.missing_synthesizers)
      std::fprintf(stderr, "note: %s is not installed; its voices are missing\n", s.c_str());
    std::printf("%s: %zu train, %zu validation, %zu test clips\n", o->out_dir.c_str(), summary.train,
                summary.validation, summary.test);
    return 0;
  };
}

Command add_shapes(CLI::App& shapes) {
  auto so = std::make_shared<data_makers::ShapeDataOptions>();
  output_option(
      shapes.add_option("--out,-o", so->out_dir, "Output folder (shape_names.txt, shapes_train.txt, shapes_test.txt)")
          ->required(),
      {false, {}, /*folder=*/true});
  shapes.add_option("--per-class", so->shapes_per_class, "Shapes per class (default 60)")
      ->check(CLI::Range(2, 1000000));
  shapes.add_option("--points", so->points, "Surface points per shape before occlusion and thinning (default 2048)")
      ->check(CLI::Range(64, 10000000));
  shapes.add_option("--seed", so->seed, "Seed (the data set is deterministic for a seed)");
  shapes.add_option("--threads,-t", so->threads, "Threads (default: all cores)");
  return [so]() {
    auto summary = with_progress_bar(
        "shapes", "shape", [&](const auto& progress) { return data_makers::generate_shape_dataset(*so, progress); });
    std::printf("%s: %zu classes, %zu train, %zu test shapes\n", so->out_dir.c_str(),
                data_makers::shape_classes().size(), summary.train, summary.test);
    return 0;
  };
}

Command add_fashion_mnist(CLI::App& fashion) {
  auto fo = std::make_shared<data_makers::FashionMnistOptions>();
  output_option(fashion.add_option("--out,-o", fo->out_dir, "Output folder (train/<class>/*.png, test/<class>/*.png)")
                    ->required(),
                {false, {}, /*folder=*/true});
  fashion.add_option("--source", fo->source_dir, "Folder of the gzipped IDX files (default: dataset-fashion-mnist's)");
  fashion
      .add_option("--train-per-class", fo->train_per_class,
                  "Training images per class, the first in file order (default 6000: all)")
      ->check(CLI::Range(1, 6000));
  fashion.add_option("--test-per-class", fo->test_per_class, "Test images per class (default 1000: all)")
      ->check(CLI::Range(1, 1000));
  return [fo]() {
    auto summary = with_progress_bar("fashion-mnist", "image", [&](const auto& progress) {
      return data_makers::write_fashion_mnist(*fo, progress);
    });
    std::printf("%s: %zu train, %zu test images%s\n", fo->out_dir.c_str(), summary.train, summary.test,
                summary.reused ? " (already there)" : "");
    return 0;
  };
}

Command add_motions(CLI::App& motions) {
  auto mo = std::make_shared<data_makers::MotionDataOptions>();
  output_option(
      motions.add_option("--out,-o", mo->out_dir, "Output folder (train/<class>/*, test/<class>/*)")->required(),
      {false, {}, /*folder=*/true});
  motions.add_option("--per-class", mo->clips_per_class, "Clips per class, a quarter of them for test (default 40)")
      ->check(CLI::Range(2, 100000));
  motions.add_option("--seed", mo->seed, "Seed (the data set is deterministic for a seed)");
  motions.add_option("--threads,-t", mo->threads, "ffmpeg processes at once (default: all cores)");
  return [mo]() {
    auto summary = with_progress_bar(
        "motions", "clip", [&](const auto& progress) { return data_makers::generate_motion_dataset(*mo, progress); });
    std::printf("%s: %zu classes, %zu train, %zu test clips%s\n", mo->out_dir.c_str(),
                data_makers::motion_classes().size(), summary.train, summary.test,
                summary.reused ? " (already there)" : "");
    return 0;
  };
}

}  // namespace

Command add_data(CLI::App& app) {
  app.require_subcommand(1);
  std::map<CLI::App*, Command> subs;
  auto* keywords = app.add_subcommand("keywords", "Synthesize the ten Speech Commands core words (espeak-ng, flite)");
  subs[keywords] = add_keywords(*keywords);
  auto* shapes = app.add_subcommand("shapes", "Generate labelled 3-D shapes as point clouds (ModelNet-style layout)");
  subs[shapes] = add_shapes(*shapes);
  auto* fashion =
      app.add_subcommand("fashion-mnist", "Write Debian's Fashion-MNIST as an image folder (train/ and test/, PNG)");
  subs[fashion] = add_fashion_mnist(*fashion);
  auto* motions = app.add_subcommand(
      "motions", "Make labelled video clips whose class is their motion (FFmpeg sources and filters)");
  subs[motions] = add_motions(*motions);
  return [subs]() {
    for (const auto& [sub, run] : subs)
      if (sub->parsed()) return run();
    return 1;
  };
}

}  // namespace unirep::cli
