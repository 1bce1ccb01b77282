#include "data_set_makers.h"

#include "fashion_mnist.h"
#include "keyword_dataset.h"
#include "keyword_stream_data.h"
#include "motion_dataset.h"
#include "shape_dataset.h"

#include <cstdint>

namespace unirep::data_makers {
namespace {

using sdk::folder_option;
using sdk::integer_option;
using sdk::number_option;
using sdk::Option;
using sdk::Settings;
using sdk::text_option;

constexpr double kMaxSeed = 9.2e18;  // below INT64_MAX, where Settings::integer reads it
constexpr double kMaxThreads = 4096;

Option out_option(const std::string& layout) {
  return folder_option("out", "Output folder (" + layout + ")", true);
}
Option seed_option() {
  return integer_option("seed", 0, "Seed (the data set is deterministic for a seed)", 0, kMaxSeed);
}
Option threads_option(const std::string& what) {
  return integer_option("threads", 0, what + " at once (0: all cores)", 0, kMaxThreads);
}

// "12 train" and the like.
std::string count(size_t n, const char* what) {
  return std::to_string(n) + " " + what;
}

DataSetMaker keywords_maker() {
  DataSetMaker m{"keywords", "Synthesize the ten Speech Commands core words (espeak-ng, flite)", "audio", "clip", {},
                 {}};
  m.options = {
      out_option("Speech Commands layout with split lists"),
      integer_option("clips", 6, "Clips per word and voice", 1, 1e6),
      number_option("speed_perturbation", 0.25,
                    "Training clips: random speed x0.8..x1.25 for 0.25 (pitch and formants move too); 0 = off", 0, 1),
      number_option("accent_vowels", 0,
                    "Probability that a training espeak-ng clip has its stressed vowel moved as accents move it", 0, 1),
      integer_option("unknown", 3, "Clips of other speech (_unknown_) per voice, in multiples of --clips; 0 = none", 0,
                     1e4),
      integer_option("silence", 1, "Clips of noise alone (_silence_) per voice, in multiples of --clips; 0 = none", 0,
                     1e4),
      seed_option(),
      number_option("min_snr_db", 5, "Lowest speech-to-noise ratio of the background noise"),
      number_option("max_snr_db", 30, "Highest speech-to-noise ratio (e.g. 60 and 60 for nearly clean clips)"),
      threads_option("Synthesizer processes"),
  };
  m.make = [](const Settings& s, const DataSetProgress& progress) {
    KeywordDataOptions o;
    o.out_dir = s.text("out");
    o.clips_per_word_per_voice = static_cast<int>(s.integer("clips"));
    o.speed_perturbation = s.number("speed_perturbation");
    o.accent_vowels = s.number("accent_vowels");
    o.unknown_per_voice = static_cast<int>(s.integer("unknown"));
    o.silence_per_voice = static_cast<int>(s.integer("silence"));
    o.seed = static_cast<uint64_t>(s.integer("seed"));
    o.min_snr_db = s.number("min_snr_db");
    o.max_snr_db = s.number("max_snr_db");
    o.threads = static_cast<int>(s.integer("threads"));
    const auto summary = generate_keyword_dataset(o, progress);
    DataSetReport report{o.out_dir + ": " + count(summary.train, "train, ") +
                             count(summary.validation, "validation, ") + count(summary.test, "test clips"),
                         {}};
    for (const auto& missing : summary.missing_synthesizers)
      report.notes.push_back(missing + " is not installed; its voices are missing");
    return report;
  };
  return m;
}

DataSetMaker keyword_stream_maker() {
  DataSetMaker m{"keyword-stream",
                 "A long recording of keywords among other speech and noise, with the truth (for unirep listen)",
                 "audio",
                 "utterance",
                 {},
                 {}};
  m.options = {
      out_option("stream.wav and truth.json"),
      number_option("minutes", 10, "Length of the stream in minutes", 0.05, 1440),
      text_option("split", "test", "Whose voices speak: the keyword data set's train, validation or test voices",
                  {"train", "validation", "test"}),
      number_option("keyword_share", 0.35, "Share of the utterances that are keywords", 0, 1),
      seed_option(),
      number_option("min_snr_db", 5, "Lowest speech-to-noise ratio of the background noise"),
      number_option("max_snr_db", 30, "Highest speech-to-noise ratio"),
      threads_option("Synthesizer processes"),
  };
  m.make = [](const Settings& s, const DataSetProgress& progress) {
    KeywordStreamDataOptions o;
    o.out_dir = s.text("out");
    o.minutes = s.number("minutes");
    o.split = s.text("split");
    o.keyword_share = s.number("keyword_share");
    o.seed = static_cast<uint64_t>(s.integer("seed"));
    o.min_snr_db = s.number("min_snr_db");
    o.max_snr_db = s.number("max_snr_db");
    o.threads = static_cast<int>(s.integer("threads"));
    const auto summary = generate_keyword_stream(o, progress);
    return DataSetReport{o.out_dir + ": " + std::to_string(static_cast<int>(summary.duration_s)) + " s, " +
                             count(summary.keywords, "keywords, ") +
                             count(summary.other_utterances, "other utterances"),
                         {}};
  };
  return m;
}

DataSetMaker shapes_maker() {
  DataSetMaker m{
      "shapes", "Generate labelled 3-D shapes as point clouds (ModelNet-style layout)", "points", "shape", {}, {}};
  m.options = {
      out_option("shape_names.txt, shapes_train.txt, shapes_test.txt"),
      integer_option("per_class", 60, "Shapes per class", 2, 1000000),
      integer_option("points", 2048, "Surface points per shape before occlusion and thinning", 64, 10000000),
      seed_option(),
      threads_option("Threads"),
  };
  m.make = [](const Settings& s, const DataSetProgress& progress) {
    ShapeDataOptions o;
    o.out_dir = s.text("out");
    o.shapes_per_class = static_cast<int>(s.integer("per_class"));
    o.points = static_cast<int>(s.integer("points"));
    o.seed = static_cast<uint64_t>(s.integer("seed"));
    o.threads = static_cast<int>(s.integer("threads"));
    const auto summary = generate_shape_dataset(o, progress);
    return DataSetReport{o.out_dir + ": " + count(shape_classes().size(), "classes, ") +
                             count(summary.train, "train, ") + count(summary.test, "test shapes"),
                         {}};
  };
  return m;
}

DataSetMaker fashion_mnist_maker() {
  DataSetMaker m{"fashion-mnist",
                 "Write Debian's Fashion-MNIST as an image folder (train/ and test/, PNG)",
                 "image",
                 "image",
                 {},
                 {}};
  const FashionMnistOptions defaults;
  auto source = folder_option("source", "Folder of the gzipped IDX files (dataset-fashion-mnist's)");
  source.default_value = defaults.source_dir;
  m.options = {
      out_option("train/<class>/*.png, test/<class>/*.png"),
      source,
      integer_option("train_per_class", defaults.train_per_class,
                     "Training images per class, the first in file order (6000: all)", 1, 6000),
      integer_option("test_per_class", defaults.test_per_class, "Test images per class (1000: all)", 1, 1000),
  };
  m.make = [](const Settings& s, const DataSetProgress& progress) {
    FashionMnistOptions o;
    o.out_dir = s.text("out");
    o.source_dir = s.text("source");
    o.train_per_class = static_cast<int>(s.integer("train_per_class"));
    o.test_per_class = static_cast<int>(s.integer("test_per_class"));
    const auto summary = write_fashion_mnist(o, progress);
    return DataSetReport{o.out_dir + ": " + count(summary.train, "train, ") + count(summary.test, "test images") +
                             (summary.reused ? " (already there)" : ""),
                         {}};
  };
  return m;
}

DataSetMaker motions_maker() {
  DataSetMaker m{"motions", "Make labelled video clips whose class is their motion (FFmpeg sources and filters)",
                 "video",   "clip",
                 {},        {}};
  m.options = {
      out_option("train/<class>/*, test/<class>/*"),
      integer_option("per_class", 40, "Clips per class, a quarter of them for test", 2, 100000),
      seed_option(),
      threads_option("ffmpeg processes"),
  };
  m.make = [](const Settings& s, const DataSetProgress& progress) {
    MotionDataOptions o;
    o.out_dir = s.text("out");
    o.clips_per_class = static_cast<int>(s.integer("per_class"));
    o.seed = static_cast<uint64_t>(s.integer("seed"));
    o.threads = static_cast<int>(s.integer("threads"));
    const auto summary = generate_motion_dataset(o, progress);
    return DataSetReport{o.out_dir + ": " + count(motion_classes().size(), "classes, ") +
                             count(summary.train, "train, ") + count(summary.test, "test clips") +
                             (summary.reused ? " (already there)" : ""),
                         {}};
  };
  return m;
}

}  // namespace

const std::vector<DataSetMaker>& data_set_makers() {
  static const std::vector<DataSetMaker> makers = {keywords_maker(), keyword_stream_maker(), shapes_maker(),
                                                   fashion_mnist_maker(), motions_maker()};
  return makers;
}

}  // namespace unirep::data_makers
