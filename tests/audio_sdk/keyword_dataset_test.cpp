// The keyword data generator (unirep data keywords): Speech Commands layout, split by whole voices,
// clips that are 1 s of real 16 kHz audio, and the same bytes for the same seed.
#include "modalities/audio/decode.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "keyword_dataset.h"
#include "keyword_stream_data.h"
#include "support/test_support.h"

namespace {
using namespace unirep;
using unirep::testing::TempDir;
namespace fs = std::filesystem;

bool have_tool(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

std::set<std::string> read_list(const std::string& path) {
  std::set<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.insert(line);
  return lines;
}

// The voice part of a clip name: "espeak-ng-en-029-f2_nohash_0.wav" -> held-out accent "en-029".
std::string synth_voice_of(const std::string& relative) {
  return relative.substr(relative.find('/') + 1);
}

TEST(KeywordData, LayoutSplitsByVoiceAndIsDeterministic) {
  if (!have_tool("espeak-ng") || !have_tool("flite")) {
    if (unirep::testing::ci_mode())
      FAIL() << "espeak-ng and flite are needed (CI=true): apt-get install espeak-ng flite";
    GTEST_SKIP() << "espeak-ng and flite are not installed (apt-get install espeak-ng flite)";
  }
  TempDir a, b;
  data_makers::KeywordDataOptions o;
  o.clips_per_word_per_voice = 1;
  o.seed = 5;
  o.threads = 2;
  o.out_dir = a.path();
  size_t calls = 0;
  const auto summary = data_makers::generate_keyword_dataset(o, [&](size_t, size_t) { ++calls; });
  const size_t voices = data_makers::keyword_voices().size();
  const size_t words = data_makers::keyword_words().size();
  // The keywords, then per voice 3 clips of other speech (_unknown_) and 1 of noise (_silence_).
  EXPECT_EQ(summary.train + summary.validation + summary.test, voices * (words + 4));
  EXPECT_EQ(calls, voices * (words + 4));
  EXPECT_TRUE(summary.missing_synthesizers.empty());

  const auto val = read_list(a.file("validation_list.txt"));
  const auto test = read_list(a.file("testing_list.txt"));
  EXPECT_EQ(val.size(), summary.validation);
  EXPECT_EQ(test.size(), summary.test);
  // Held out as whole voices: every test clip is one of the test voices, none of them is in training.
  std::set<std::string> test_voices, val_voices, train_voices;
  for (const auto& v : data_makers::keyword_voices()) {
    const std::string tag = v.synthesizer + "-" + v.name;
    (v.split == "test" ? test_voices : v.split == "validation" ? val_voices : train_voices).insert(tag);
  }
  auto voice_of = [&](const std::string& rel) {
    const std::string name = synth_voice_of(rel);
    std::string best;  // the longest voice tag the name starts with ("en-gb-x-rp" over "en-gb")
    for (const auto* set : {&test_voices, &val_voices, &train_voices})
      for (const auto& t : *set) {
        std::string safe = t;
        for (auto& c : safe)
          if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
        if (name.rfind(safe, 0) == 0 &&
            (name.size() == safe.size() || name[safe.size()] == '-' || name[safe.size()] == '_') &&
            safe.size() > best.size())
          best = t;
      }
    return best;
  };
  for (const auto& rel : test) EXPECT_EQ(test_voices.count(voice_of(rel)), 1u) << rel;
  for (const auto& rel : val) EXPECT_EQ(val_voices.count(voice_of(rel)), 1u) << rel;
  EXPECT_GE(test_voices.size(), 3u);

  size_t files = 0;
  for (const auto& w : data_makers::keyword_words()) {
    ASSERT_TRUE(fs::is_directory(a.file(w))) << w;
    for (const auto& entry : fs::directory_iterator(a.file(w))) {
      ++files;
      const std::string rel = w + "/" + entry.path().filename().string();
      if (!test.count(rel) && !val.count(rel)) EXPECT_EQ(train_voices.count(voice_of(rel)), 1u) << rel;
    }
  }
  EXPECT_EQ(files, voices * words);
  for (const auto& [folder, expected] : {std::pair{std::string("_unknown_"), 3 * voices}, {"_silence_", voices}}) {
    size_t n = 0;
    for (const auto& entry : fs::directory_iterator(a.file(folder))) {
      ++n;
      const std::string rel = folder + "/" + entry.path().filename().string();
      if (!test.count(rel) && !val.count(rel)) EXPECT_EQ(train_voices.count(voice_of(rel)), 1u) << rel;
    }
    EXPECT_EQ(n, expected) << folder;
  }

  // A keyword clip is 1 s at 16 kHz, within [-1, 1], and not silent.
  const auto keyword_clip =
      std::find_if(test.begin(), test.end(), [](const std::string& rel) { return rel[0] != '_'; });
  ASSERT_NE(keyword_clip, test.end());
  const auto clip = modalities::decode_audio(a.file(*keyword_clip));
  EXPECT_EQ(clip.sample_rate, 16000);
  ASSERT_EQ(clip.samples.size(), 16000u);
  float peak = 0;
  for (float s : clip.samples) peak = std::max(peak, std::abs(s));
  EXPECT_GT(peak, 0.05f);
  EXPECT_LE(peak, 1.0f);

  // Same seed, same bytes (synthesizers run in parallel, so order must not matter).
  o.out_dir = b.path();
  o.threads = 1;
  data_makers::generate_keyword_dataset(o);
  EXPECT_EQ(unirep::testing::read_bytes(a.file("testing_list.txt")),
            unirep::testing::read_bytes(b.file("testing_list.txt")));
  for (const auto& rel : test)
    EXPECT_EQ(unirep::testing::read_bytes(a.file(rel)), unirep::testing::read_bytes(b.file(rel))) << rel;
}

// --accent-vowels re-words training espeak-ng clips only: validation and test clips, and every flite
// clip, keep their bytes, so scores with and without it are measured on the same held-out clips.
TEST(KeywordData, AccentVowelsChangeOnlyTrainingEspeakClips) {
  if (!have_tool("espeak-ng") || !have_tool("flite")) {
    if (unirep::testing::ci_mode())
      FAIL() << "espeak-ng and flite are needed (CI=true): apt-get install espeak-ng flite";
    GTEST_SKIP() << "espeak-ng and flite are not installed (apt-get install espeak-ng flite)";
  }
  TempDir plain, moved;
  data_makers::KeywordDataOptions o;
  o.clips_per_word_per_voice = 1;
  o.seed = 3;
  o.threads = 2;
  o.out_dir = plain.path();
  data_makers::generate_keyword_dataset(o);
  o.out_dir = moved.path();
  o.accent_vowels = 1.0;
  // Without the _unknown_ and _silence_ clips too: they are numbered after the keywords, so the
  // keyword clips keep their bytes either way.
  o.unknown_per_voice = 0;
  o.silence_per_voice = 0;
  data_makers::generate_keyword_dataset(o);
  EXPECT_FALSE(fs::exists(moved.file("_unknown_")));

  auto held_out = read_list(plain.file("testing_list.txt"));
  for (const auto& rel : read_list(plain.file("validation_list.txt"))) held_out.insert(rel);
  for (const auto& rel : read_list(moved.file("testing_list.txt"))) EXPECT_EQ(held_out.count(rel), 1u) << rel;
  size_t changed = 0, espeak_train = 0;
  for (const auto& w : data_makers::keyword_words())
    for (const auto& entry : fs::directory_iterator(plain.file(w))) {
      const std::string rel = w + "/" + entry.path().filename().string();
      ASSERT_TRUE(fs::exists(moved.file(rel))) << rel;
      const bool same = unirep::testing::read_bytes(plain.file(rel)) == unirep::testing::read_bytes(moved.file(rel));
      const bool espeak = synth_voice_of(rel).rfind("espeak-ng-", 0) == 0;
      if (held_out.count(rel) || !espeak) {
        EXPECT_TRUE(same) << rel << " changed, but only training espeak-ng clips may";
      } else {
        ++espeak_train;
        changed += !same;
      }
    }
  EXPECT_GT(espeak_train, 0u);
  EXPECT_EQ(changed, espeak_train) << "every training espeak-ng clip is said with a moved vowel at probability 1";
}

TEST(KeywordData, NoOutputFolderIsAnError) {
  data_makers::KeywordDataOptions o;
  EXPECT_THROW(data_makers::generate_keyword_dataset(o), std::invalid_argument);
}

TEST(KeywordData, InvertedNoiseRangeIsAnErrorAndWritesNothing) {
  unirep::testing::TempDir d;
  data_makers::KeywordDataOptions o;
  o.out_dir = d.file("out");
  o.min_snr_db = 20;
  o.max_snr_db = 10;
  try {
    data_makers::generate_keyword_dataset(o);
    FAIL() << "min > max was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("snr"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(d.file("out")));
}

}  // namespace

// The keyword stream: the truth lies inside the recording, in order, without overlaps; keywords are
// keywords and the other speech says none; the same seed gives the same bytes.
TEST(KeywordStreamData, TruthMatchesTheRecording) {
  if (!have_tool("espeak-ng") || !have_tool("flite")) {
    if (unirep::testing::ci_mode())
      FAIL() << "espeak-ng and flite are needed (CI=true): apt-get install espeak-ng flite";
    GTEST_SKIP() << "espeak-ng and flite are not installed (apt-get install espeak-ng flite)";
  }
  TempDir a, b;
  data_makers::KeywordStreamDataOptions o;
  o.minutes = 0.5;
  o.seed = 4;
  o.threads = 2;
  o.out_dir = a.path();
  const auto summary = data_makers::generate_keyword_stream(o);
  EXPECT_NEAR(summary.duration_s, 30.0, 1e-9);
  EXPECT_GE(summary.keywords + summary.other_utterances, 6u);
  const auto audio = modalities::decode_audio(a.file("stream.wav"));
  EXPECT_EQ(audio.sample_rate, 16000);
  EXPECT_EQ(audio.samples.size(), 16000u * 30);
  const auto truth = nlohmann::json::parse(unirep::testing::read_bytes(a.file("truth.json")));
  EXPECT_EQ(truth["keywords"].size(), summary.keywords);
  std::vector<std::pair<double, double>> spans;
  const auto& words = data_makers::keyword_words();
  for (const auto& k : truth["keywords"]) {
    EXPECT_NE(std::find(words.begin(), words.end(), k["keyword"].get<std::string>()), words.end()) << k;
    spans.emplace_back(k["start_s"].get<double>(), k["end_s"].get<double>());
  }
  for (const auto& x : truth["other_speech"]) {
    std::istringstream text(x["text"].get<std::string>());
    for (std::string w; text >> w;) EXPECT_EQ(std::find(words.begin(), words.end(), w), words.end()) << x;
    spans.emplace_back(x["start_s"].get<double>(), x["end_s"].get<double>());
  }
  std::sort(spans.begin(), spans.end());
  for (size_t i = 0; i < spans.size(); ++i) {
    EXPECT_LT(spans[i].first, spans[i].second);
    EXPECT_LE(spans[i].second, 30.0);
    if (i > 0) EXPECT_LE(spans[i - 1].second, spans[i].first) << "utterances overlap";
  }
  o.out_dir = b.path();
  o.threads = 1;
  data_makers::generate_keyword_stream(o);
  EXPECT_EQ(unirep::testing::read_bytes(a.file("stream.wav")), unirep::testing::read_bytes(b.file("stream.wav")));
  EXPECT_EQ(unirep::testing::read_bytes(a.file("truth.json")), unirep::testing::read_bytes(b.file("truth.json")));
}
