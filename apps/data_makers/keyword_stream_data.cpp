#include "keyword_stream_data.h"

#include "keyword_dataset.h"
#include "parallel_jobs.h"
#include "staging_folder.h"
#include "subprocess.h"

#include "models/io/atomic_file.h"
#include "modalities/audio/background_noise.h"
#include "modalities/audio/wav_writer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <stdexcept>

namespace unirep::data_makers {
namespace fs = std::filesystem;
namespace {

constexpr int kRate = 16000;

// Words of the other speech: the _unknown_ class's single words and everyday words that no
// training clip says (the keyword data's phrases use others), never a keyword.
const std::vector<std::string>& filler_words() {
  static const std::vector<std::string> words = [] {
    std::vector<std::string> w = non_keyword_words();
    for (const char* x :
         {"bring",   "chair",  "paper",  "number",   "summer",   "kitchen", "button", "station", "blue",   "small",
          "large",   "pick",   "send",   "message",  "tomorrow", "evening", "family", "friend",  "letter", "minute",
          "quiet",   "listen", "answer", "question", "simple",   "market",  "travel", "picture", "camera", "volume",
          "channel", "switch", "lamp",   "door",     "close",    "heat",    "cold",   "warm",    "hello",  "thanks"})
      w.push_back(x);
    return w;
  }();
  return words;
}

struct Utterance {
  std::string text, keyword;  // keyword: "" for other speech
  size_t voice = 0;
  std::vector<float> audio;
  double start_s = 0, end_s = 0;
};

// The plan (what is said, by whom) before any synthesis, so the data depend only on the seed.
std::vector<Utterance> plan(const KeywordStreamDataOptions& o, size_t voices, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  // About 2.5 s per utterance with its pause: more than enough to fill the stream, cut after.
  const auto count = static_cast<size_t>(o.minutes * 60 / 1.6) + 8;
  std::vector<Utterance> out(count);
  for (auto& x : out) {
    x.voice = rng() % voices;
    if (u(rng) < o.keyword_share) {
      x.keyword = x.text = keyword_words()[rng() % keyword_words().size()];
    } else {
      const int n = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < n; ++i) x.text += (i ? " " : "") + filler_words()[rng() % filler_words().size()];
    }
  }
  return out;
}

// Background noise over the whole stream: a new kind and level every 10 s.
std::vector<float> background(size_t n, double speech_rms, const KeywordStreamDataOptions& o, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<float> out(n);
  const size_t piece = 10 * kRate;
  for (size_t at = 0; at < n; at += piece) {
    const size_t len = std::min(piece, n - at);
    const auto noise = modalities::make_random_noise(len, kRate, rng);
    const double snr_db = o.min_snr_db + (o.max_snr_db - o.min_snr_db) * u(rng);
    const auto gain = static_cast<float>(speech_rms / std::pow(10.0, snr_db / 20.0));
    for (size_t t = 0; t < len; ++t) out[at + t] = gain * noise[t];
  }
  return out;
}

void write_truth(const fs::path& path, const std::vector<Utterance>& said, const std::vector<SynthVoice>& voices,
                 double duration_s, const KeywordStreamDataOptions& o) {
  nlohmann::json truth{{"sample_rate", kRate}, {"duration_s", duration_s}, {"seed", o.seed}, {"split", o.split}};
  truth["keywords"] = nlohmann::json::array();
  truth["other_speech"] = nlohmann::json::array();
  for (const auto& x : said) {
    const std::string voice = voices[x.voice].synthesizer + "-" + voices[x.voice].name;
    nlohmann::json j{{"start_s", x.start_s}, {"end_s", x.end_s}, {"voice", voice}};
    if (x.keyword.empty()) {
      j["text"] = x.text;
      truth["other_speech"].push_back(j);
    } else {
      j["keyword"] = x.keyword;
      truth["keywords"].push_back(j);
    }
  }
  io::AtomicFile out(path.string());
  out.write(truth.dump(1) + "\n");
  out.commit();
}

}  // namespace

KeywordStreamDataSummary generate_keyword_stream(const KeywordStreamDataOptions& o,
                                                 const std::function<void(size_t, size_t)>& progress) {
  if (o.out_dir.empty()) throw std::invalid_argument("keyword stream: an output folder is required");
  if (!(o.minutes > 0 && o.minutes <= 24 * 60))
    throw std::invalid_argument("keyword stream: --minutes must be within (0, 1440]");
  if (!(o.min_snr_db <= o.max_snr_db))
    throw std::invalid_argument("keyword stream: --min-snr-db must not exceed --max-snr-db");
  std::vector<SynthVoice> voices;
  for (const auto& v : keyword_voices())
    if (v.split == o.split && on_path(v.synthesizer)) voices.push_back(v);
  if (voices.empty())
    throw std::invalid_argument("keyword stream: no installed synthesizer voice in split '" + o.split +
                                "' (train, validation or test; apt-get install espeak-ng flite)");
  StagingFolder staging(o.out_dir, WhenDestinationHoldsFiles::add_files);
  const fs::path& root = staging.path();
  std::mt19937_64 rng(o.seed * 0x9E3779B97F4A7C15ULL + 4242);
  auto said = plan(o, voices.size(), rng);
  run_jobs(
      said.size(), o.threads,
      [&](size_t i) {
        std::mt19937_64 r(o.seed * 0x9E3779B97F4A7C15ULL + i * 104729 + 99);
        said[i].audio =
            say(voices[said[i].voice], said[i].text, (root / ("say" + std::to_string(i) + ".wav")).string(), r);
      },
      progress);

  // Lay the utterances out with pauses of 0.3-2.5 s (and a longer one now and then) until full.
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const auto total = static_cast<size_t>(o.minutes * 60 * kRate);
  std::vector<float> speech(total, 0.0f);
  double speech_ss = 0;
  size_t speech_n = 0, at = static_cast<size_t>(0.5 * kRate), used = 0;
  for (auto& x : said) {
    const double level = (0.2 + 0.7 * u(rng)) / std::max(1e-6f, *std::max_element(x.audio.begin(), x.audio.end()));
    if (at + x.audio.size() + kRate / 2 > total) break;
    for (size_t t = 0; t < x.audio.size(); ++t) {
      speech[at + t] = static_cast<float>(x.audio[t] * level);
      speech_ss += static_cast<double>(speech[at + t]) * speech[at + t];
    }
    speech_n += x.audio.size();
    x.start_s = static_cast<double>(at) / kRate;
    x.end_s = static_cast<double>(at + x.audio.size()) / kRate;
    at += x.audio.size() + static_cast<size_t>((u(rng) < 0.1 ? 3.0 + 5.0 * u(rng) : 0.3 + 2.2 * u(rng)) * kRate);
    ++used;
  }
  said.resize(used);
  const auto noise = background(total, std::sqrt(speech_ss / std::max<size_t>(1, speech_n)), o, rng);
  float peak = 0;
  for (size_t t = 0; t < total; ++t) peak = std::max(peak, std::abs(speech[t] += noise[t]));
  if (peak > 0.99f)
    for (auto& x : speech) x *= 0.99f / peak;
  modalities::write_wav((root / "stream.wav").string(), speech, kRate);
  write_truth(root / "truth.json", said, voices, static_cast<double>(total) / kRate, o);
  staging.commit({"truth.json"});
  KeywordStreamDataSummary summary;
  summary.duration_s = static_cast<double>(total) / kRate;
  for (const auto& x : said) (x.keyword.empty() ? summary.other_utterances : summary.keywords)++;
  return summary;
}

}  // namespace unirep::data_makers
