#include "keyword_dataset.h"

#include "models/io/atomic_file.h"
#include "modalities/audio/background_noise.h"
#include "modalities/audio/decode.h"
#include "modalities/audio/resample.h"
#include "modalities/audio/wav_writer.h"

#include "parallel_jobs.h"
#include "staging_folder.h"
#include "subprocess.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>

namespace unirep::data_makers {
namespace fs = std::filesystem;
namespace {

constexpr int kRate = 16000;

// espeak-ng's voice variants that sound like people (its robots, whispers and croaks left out):
// each changes pitch, formants and voice quality, so every accent is spoken by many "speakers".
const char* const kEspeakVariants[] = {
    "m1",     "m2",     "m3",     "m4",      "m5",      "m6",         "m7",      "m8",       "f1",
    "f2",     "f3",     "f4",     "f5",      "klatt",   "klatt2",     "klatt3",  "adam",     "Alex",
    "Alicia", "Andrea", "Andy",   "Annie",   "antonio", "aunty",      "belinda", "benjamin", "boris",
    "caleb",  "david",  "Denis",  "Diogo",   "ed",      "edward",     "Gene",    "gustave",  "Henrique",
    "Hugo",   "iven",   "iven2",  "Jacky",   "john",    "kaukovalta", "Lee",     "linda",    "marcelo",
    "Marco",  "Mario",  "max",    "Michael", "michel",  "miguel",     "Mike",    "Mr",       "Nguyen",
    "pablo",  "paul",   "pedro",  "quincy",  "rob",     "robert",     "sandro",  "shelby",   "steph",
    "steph2", "travis", "victor", "zac",     "anika",   "norbert",    "grandma", "grandpa"};

// Each word in espeak-ng's phoneme notation, then the same word with its stressed vowel moved the
// way accents move it.
const std::vector<std::vector<std::string>>& accent_vowel_variants() {
  static const std::vector<std::vector<std::string>> variants = {
      {"j'Es", "j'as", "j'Is", "j'es"},                 // yes
      {"n'oU", "n'o:", "n'@U", "n'O:"},                 // no
      {"'Vp", "'0p", "'ap", "'@p", "'Up"},              // up
      {"d'aUn", "d'a:n", "d'@Un"},                      // down
      {"l'Eft", "l'aft", "l'Ift", "l'eft"},             // left
      {"r'aIt", "r'a:t", "r'OIt", "r'VIt"},             // right
      {"'0n", "'O:n", "'A:n", "'Vn", "'an"},            // on
      {"'0f", "'O:f", "'A:f", "'Vf", "'af"},            // off
      {"st'0p", "st'O:p", "st'A:p", "st'Vp", "st'ap"},  // stop
      {"g'oU", "g'o:", "g'@U", "g'O:"},                 // go
  };
  return variants;
}

// A clip to make: a keyword (word < keyword_words().size()), an unknown word or background noise.
struct Clip {
  size_t voice, word;
  int take;
};

enum class ClipKind { Keyword, Unknown, Silence };

std::string safe(std::string s) {
  for (auto& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
  return s;
}

}  // namespace

const std::vector<std::string>& keyword_words() {
  static const std::vector<std::string> words = {"yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"};
  return words;
}

const std::vector<std::string>& non_keyword_words() {
  static const std::vector<std::string> words = {
      "bed",   "bird",   "cat",     "dog",      "eight",  "five",  "four", "happy", "house", "marvin",
      "nine",  "one",    "seven",   "sheila",   "six",    "three", "tree", "two",   "wow",   "zero",
      "learn", "follow", "forward", "backward", "visual", "yet",   "now",  "cup",   "town",  "lift",
      "write", "own",    "top",     "goal",     "yellow", "note",  "dawn", "light", "often", "below"};
  return words;
}

const std::vector<std::string>& phrase_words() {
  static const std::vector<std::string> words = [] {
    std::vector<std::string> w = non_keyword_words();
    for (const char* x :
         {"the",     "weather", "today",  "please",  "open",     "window",   "music",  "call",    "mother",  "later",
          "maybe",   "coffee",  "table",  "morning", "thank",    "you",      "where",  "is",      "my",      "phone",
          "what",    "time",    "we",     "should",  "leave",    "soon",     "dinner", "ready",   "nice",    "very",
          "good",    "idea",    "little", "garden",  "green",    "water",    "about",  "after",   "again",   "always",
          "animal",  "another", "apple",  "around",  "baby",     "back",     "ball",   "because", "before",  "began",
          "being",   "better",  "big",    "black",   "book",     "both",     "boy",    "bread",   "brother", "brown",
          "build",   "but",     "can",    "car",     "carry",    "children", "city",   "clean",   "come",    "could",
          "country", "cut",     "day",    "did",     "does",     "draw",     "drink",  "each",    "early",   "earth",
          "eat",     "end",     "even",   "every",   "eye",      "face",     "far",    "farm",    "fast",    "father",
          "feel",    "find",    "fire",   "first",   "fish",     "fly",      "food",   "found",   "from",    "full",
          "funny",   "gave",    "girl",   "give",    "glass",    "great",    "ground", "grow",    "hand",    "hard",
          "have",    "head",    "hear",   "help",    "here",     "high",     "hold",   "horse",   "hot",     "how",
          "hurt",    "just",    "keep",   "kind",    "know",     "land",     "lady",   "laugh",   "live",    "long",
          "look",    "made",    "make",   "many",    "may",      "men",      "milk",   "money",   "more",    "most",
          "much",    "must",    "name",   "near",    "never",    "new",      "night",  "old",     "only",    "other",
          "our",     "out",     "over",   "ocean",   "paint",    "party",    "people", "place",   "plant",   "play",
          "pretty",  "pull",    "push",   "put",     "rain",     "read",     "red",    "ride",    "river",   "room",
          "round",   "run",     "said",   "same",    "saw",      "school",   "sea",    "see",     "seem",    "shall",
          "she",     "ship",    "show",   "sing",    "sister",   "sit",      "sleep",  "snow",    "some",    "song",
          "sound",   "start",   "still",  "story",   "street",   "such",     "sun",    "take",    "talk",    "tell",
          "ten",     "than",    "that",   "them",    "then",     "there",    "these",  "they",    "thing",   "think",
          "this",    "those",   "though", "through", "together", "too",      "took",   "toy",     "try",     "turn",
          "under",   "until",   "upon",   "use",     "walk",     "want",     "was",    "wash",    "way",     "well",
          "went",    "were",    "when",   "which",   "white",    "who",      "why",    "will",    "wish",    "with",
          "work",    "would",   "year"})
      w.push_back(x);
    return w;
  }();
  return words;
}

std::vector<SynthVoice> keyword_voices() {
  return {
      {"espeak-ng", "en-us", "train"},
      {"espeak-ng", "en-gb", "train"},
      {"espeak-ng", "en-gb-x-rp", "train"},
      {"espeak-ng", "en-gb-x-gbclan", "train"},
      {"espeak-ng", "en-us-nyc", "train"},
      {"espeak-ng", "en-gb-x-gbcwmd", "validation"},
      {"espeak-ng", "en-gb-scotland", "test"},
      {"espeak-ng", "en-029", "test"},
      // flite has four real speakers: kal (kal16 is the same speaker at 16 kHz, so it only
      // validates), awb, slt and rms. rms is held out; slt, the only woman, trains, so that every
      // kind of test speaker has been heard, as in Speech Commands (docs/audio.md: holding out slt
      // measures a voice unlike any training voice instead, and scores about 7 points lower).
      {"flite", "kal", "train"},
      {"flite", "awb", "train"},
      {"flite", "slt", "train"},
      {"flite", "kal16", "validation"},
      {"flite", "rms", "test"},
  };
}

namespace {

// The voices whose synthesizer is installed; the synthesizers that are not are added to `missing`.
std::vector<SynthVoice> installed_voices(std::vector<std::string>& missing) {
  std::vector<SynthVoice> voices;
  for (const auto& v : keyword_voices()) {
    if (on_path(v.synthesizer))
      voices.push_back(v);
    else if (std::find(missing.begin(), missing.end(), v.synthesizer) == missing.end())
      missing.push_back(v.synthesizer);
  }
  if (voices.empty())
    throw std::runtime_error("keyword data needs a speech synthesizer: apt-get install espeak-ng flite");
  return voices;
}

// Every (voice, word, take), in the order that numbers the clips (and so seeds them): the keyword
// clips first, then the unknown words (word index words), then the noise (words + 1).
std::vector<Clip> list_clips(size_t voices, size_t words, const KeywordDataOptions& o) {
  const int takes = o.clips_per_word_per_voice;
  std::vector<Clip> clips;
  for (size_t v = 0; v < voices; ++v)
    for (size_t w = 0; w < words; ++w)
      for (int k = 0; k < takes; ++k) clips.push_back({v, w, k});
  for (size_t v = 0; v < voices; ++v)
    for (int k = 0; k < o.unknown_per_voice * takes; ++k) clips.push_back({v, words, k});
  for (size_t v = 0; v < voices; ++v)
    for (int k = 0; k < o.silence_per_voice * takes; ++k) clips.push_back({v, words + 1, k});
  return clips;
}

ClipKind kind_of(const Clip& c) {
  const size_t words = keyword_words().size();
  return c.word < words ? ClipKind::Keyword : c.word == words ? ClipKind::Unknown : ClipKind::Silence;
}

const std::string& folder_of(const Clip& c) {
  static const std::string unknown = kUnknownLabel, silence = kSilenceLabel;
  const auto kind = kind_of(c);
  return kind == ClipKind::Keyword ? keyword_words()[c.word] : kind == ClipKind::Unknown ? unknown : silence;
}

// Has `voice` say a text into `raw` at a random speed and pitch (and, for espeak-ng, in a random
// voice variant, which it returns; "" for flite). `text_for` picks the text once those are drawn
// (the order of the draws fixes the data of a seed).
std::string speak_to_file(const SynthVoice& voice, const std::function<std::string()>& text_for, const std::string& raw,
                          std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::string variant;
  int rc;
  if (voice.synthesizer == "espeak-ng") {
    variant = kEspeakVariants[rng() % (sizeof(kEspeakVariants) / sizeof(kEspeakVariants[0]))];
    const int speed = 110 + static_cast<int>(u(rng) * 100), pitch = 15 + static_cast<int>(u(rng) * 70);
    rc = run({"espeak-ng", "-v", voice.name + "+" + variant, "-s", std::to_string(speed), "-p", std::to_string(pitch),
              "-w", raw, text_for()});
  } else {
    const double stretch = 0.75 + 0.6 * u(rng), f0 = 80 + 140 * u(rng);
    rc = run({"flite", "-voice", voice.name, "--setf", "duration_stretch=" + std::to_string(stretch), "--setf",
              "int_f0_target_mean=" + std::to_string(f0), "-t", text_for(), "-o", raw});
  }
  if (rc != 0) throw std::runtime_error(voice.synthesizer + " failed for voice " + voice.name);
  return variant;
}

// The clip's word said into `raw`; training espeak-ng keyword clips may have their stressed vowel
// moved (--accent-vowels). Returns the espeak-ng variant.
std::string synthesize_word(const KeywordDataOptions& o, const SynthVoice& voice, const Clip& c,
                            const std::string& word, const std::string& raw, std::mt19937_64& rng) {
  return speak_to_file(
      voice,
      [&]() -> std::string {
        if (voice.synthesizer != "espeak-ng") return word;
        std::uniform_real_distribution<double> u(0.0, 1.0);
        // Drawn for training clips only, so validation and test clips stay as they are.
        if (kind_of(c) == ClipKind::Keyword && voice.split == "train" && o.accent_vowels > 0 &&
            u(rng) < o.accent_vowels) {
          const auto& alternatives = accent_vowel_variants()[c.word];
          return "[[" + alternatives[1 + rng() % (alternatives.size() - 1)] + "]]";
        }
        return word;
      },
      raw, rng);
}

// The synthesized speech at 16 kHz. Training clips get speed perturbation as in Kaldi's recipes,
// wider here (x0.8..x1.25): playing the speech faster or slower moves pitch and formants together,
// like a shorter or longer vocal tract, which turns each synthesizer voice into many speakers.
// Validation and test clips keep the voices as they are.
std::vector<float> speech_at_16khz(const modalities::DecodedAudio& audio, const SynthVoice& voice,
                                   const KeywordDataOptions& o, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  int source_rate = audio.sample_rate;
  if (voice.split == "train" && o.speed_perturbation > 0) {
    const double factor = std::exp((2 * u(rng) - 1) * std::log1p(o.speed_perturbation));
    // On a 100 Hz grid, so the resampler's polyphase table stays small (at most 160 phases).
    source_rate = static_cast<int>(std::lround(audio.sample_rate * factor / 100.0)) * 100;
  }
  return source_rate == kRate ? audio.samples : modalities::resample(audio.samples, source_rate, kRate);
}

float peak_of(const std::vector<float>& x) {
  float peak = 0;
  for (float v : x) peak = std::max(peak, std::abs(v));
  return peak;
}

// The speech without the silence before and after it (below 2% of the peak).
std::vector<float> trim_silence(const std::vector<float>& speech, const SynthVoice& voice, const std::string& text) {
  const float peak = peak_of(speech);
  if (peak <= 0) throw std::runtime_error(voice.synthesizer + " produced silence for '" + text + "'");
  size_t first = 0, last = speech.size();
  while (first < last && std::abs(speech[first]) < 0.02f * peak) ++first;
  while (last > first && std::abs(speech[last - 1]) < 0.02f * peak) --last;
  return {speech.begin() + static_cast<std::ptrdiff_t>(first), speech.begin() + static_cast<std::ptrdiff_t>(last)};
}

// One second of audio: the word with its leading and trailing silence trimmed, at a random level
// and offset, over background noise at a random SNR.
// `crop`: a longer utterance (a phrase) gives a random second of itself, as a stream's window
// would hear it; otherwise its first second.
std::vector<float> one_second_clip(const std::vector<float>& speech, const SynthVoice& voice, const std::string& word,
                                   const KeywordDataOptions& o, std::mt19937_64& rng, bool crop = false) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<float> word_audio = trim_silence(speech, voice, word);
  const float peak = peak_of(word_audio);
  if (word_audio.size() > kRate) {
    const size_t start = crop ? static_cast<size_t>(rng() % (word_audio.size() - kRate + 1)) : 0;
    word_audio = std::vector<float>(word_audio.begin() + static_cast<std::ptrdiff_t>(start),
                                    word_audio.begin() + static_cast<std::ptrdiff_t>(start + kRate));
  }
  const float level = static_cast<float>(0.3 + 0.6 * u(rng)) / peak;
  std::vector<float> clip(kRate, 0.0f);
  const size_t offset = static_cast<size_t>(u(rng) * (kRate - word_audio.size() + 1)) % (kRate - word_audio.size() + 1);
  double speech_ss = 0;
  for (size_t t = 0; t < word_audio.size(); ++t) {
    clip[offset + t] = word_audio[t] * level;
    speech_ss += static_cast<double>(clip[offset + t]) * clip[offset + t];
  }
  const double speech_rms = std::sqrt(speech_ss / std::max<size_t>(1, word_audio.size()));
  const double snr_db = o.min_snr_db + (o.max_snr_db - o.min_snr_db) * u(rng);
  const auto noise = modalities::make_random_noise(kRate, kRate, rng);  // unit RMS
  const float noise_gain = static_cast<float>(speech_rms / std::pow(10.0, snr_db / 20.0));
  for (size_t t = 0; t < clip.size(); ++t) clip[t] += noise_gain * noise[t];
  return clip;
}

// What an _unknown_ clip says: half of them one other word, half a phrase of 2-4 other words (of
// which the clip keeps a random second), as the speech around keywords sounds in a stream.
std::string unknown_text(std::mt19937_64& rng) {
  const auto& single = non_keyword_words();
  if (rng() % 2 == 0) return single[rng() % single.size()];
  const auto& words = phrase_words();
  const int n = 2 + static_cast<int>(rng() % 3);
  std::string text;
  for (int i = 0; i < n; ++i) text += (i ? " " : "") + words[rng() % words.size()];
  return text;
}

// One second of background noise alone (white, pink, brown or hum) at a random level from about
// -60 to -15 dB below full scale: the _silence_ class.
std::vector<float> noise_clip(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const auto noise = modalities::make_random_noise(kRate, kRate, rng);  // unit RMS
  const auto gain = static_cast<float>(std::pow(10.0, (-60.0 + 45.0 * u(rng)) / 20.0));
  std::vector<float> clip(noise.begin(), noise.end());
  for (auto& x : clip) x *= gain;
  return clip;
}

// Makes clip number `i` and writes it under `root`; returns its path relative to `root`
// (WORD/NAME.wav, as the split lists name it).
std::string write_clip(const KeywordDataOptions& o, const SynthVoice& voice, const Clip& c, size_t i,
                       const fs::path& root, const fs::path& tmp_dir) {
  // Every clip's randomness derives from (seed, clip), so the data do not depend on threading.
  std::mt19937_64 rng(o.seed * 0x9E3779B97F4A7C15ULL + i * 7919 + 17);
  const auto kind = kind_of(c);
  std::vector<float> clip;
  std::string variant;
  if (kind == ClipKind::Silence) {
    clip = noise_clip(rng);
  } else {
    const std::string word = kind == ClipKind::Keyword ? keyword_words()[c.word] : unknown_text(rng);
    const std::string raw = (tmp_dir / ("clip" + std::to_string(i) + ".wav")).string();
    variant = synthesize_word(o, voice, c, word, raw, rng);
    auto audio = modalities::decode_audio(raw);
    fs::remove(raw);
    const auto speech = speech_at_16khz(audio, voice, o, rng);
    clip = one_second_clip(speech, voice, word, o, rng, /*crop=*/kind == ClipKind::Unknown);
  }
  const std::string name = safe(voice.synthesizer + "-" + voice.name + (variant.empty() ? "" : "-" + variant)) +
                           "_nohash_" + std::to_string(c.take) + ".wav";
  const std::string relative = folder_of(c) + "/" + name;
  modalities::write_wav((root / relative).string(), clip, kRate);
  return relative;
}

// Writes validation_list.txt and testing_list.txt (the clips of the held-out voices), counts the
// clips of each split into `summary`, and returns the lists' names. The lists appear with the
// clips, and after them when added to a folder that held files.
std::vector<std::string> write_split_lists(const fs::path& root, const std::vector<SynthVoice>& voices,
                                           const std::vector<Clip>& clips, const std::vector<std::string>& relative,
                                           KeywordDataSummary& summary) {
  std::string val, test;
  for (size_t i = 0; i < clips.size(); ++i) {
    const auto& split = voices[clips[i].voice].split;
    if (split == "validation")
      val += relative[i] + "\n", ++summary.validation;
    else if (split == "test")
      test += relative[i] + "\n", ++summary.test;
    else
      ++summary.train;
  }
  const std::vector<std::string> lists = {"validation_list.txt", "testing_list.txt"};
  for (const auto& [name, text] : {std::pair{lists[0], &val}, std::pair{lists[1], &test}}) {
    io::AtomicFile out((root / name).string());
    out.write(*text);
    out.commit();
  }
  return lists;
}

}  // namespace

std::vector<float> say(const SynthVoice& voice, const std::string& text, const std::string& scratch,
                       std::mt19937_64& rng) {
  speak_to_file(
      voice, [&] { return text; }, scratch, rng);
  const auto audio = modalities::decode_audio(scratch);
  fs::remove(scratch);
  const auto speech =
      audio.sample_rate == kRate ? audio.samples : modalities::resample(audio.samples, audio.sample_rate, kRate);
  return trim_silence(speech, voice, text);
}

KeywordDataSummary generate_keyword_dataset(const KeywordDataOptions& o,
                                            const std::function<void(size_t, size_t)>& progress) {
  if (o.out_dir.empty()) throw std::invalid_argument("keyword data: an output folder is required");
  if (!(o.min_snr_db <= o.max_snr_db))
    throw std::invalid_argument("keyword data: --min-snr-db must not exceed --max-snr-db");
  if (o.unknown_per_voice < 0 || o.silence_per_voice < 0)
    throw std::invalid_argument("keyword data: --unknown and --silence must not be negative");
  KeywordDataSummary summary;
  const std::vector<SynthVoice> voices = installed_voices(summary.missing_synthesizers);
  const auto& words = keyword_words();
  // Built beside OUT and put in place when complete (staging_folder.h); into a folder that holds
  // files already the clips are added, as they always were.
  StagingFolder staging(o.out_dir, WhenDestinationHoldsFiles::add_files);
  const fs::path& root = staging.path();
  for (const auto& w : words) fs::create_directories(root / w);
  if (o.unknown_per_voice > 0) fs::create_directories(root / kUnknownLabel);
  if (o.silence_per_voice > 0) fs::create_directories(root / kSilenceLabel);

  const std::vector<Clip> clips = list_clips(voices.size(), words.size(), o);
  std::vector<std::string> relative(clips.size());
  // The synthesizers' raw output goes inside the staging folder too, so a stopped run leaves none.
  const fs::path tmp_dir = root / ".synthesizer-output";
  fs::create_directories(tmp_dir);
  run_jobs(
      clips.size(), o.threads,
      [&](size_t i) { relative[i] = write_clip(o, voices[clips[i].voice], clips[i], i, root, tmp_dir); }, progress);
  fs::remove_all(tmp_dir);
  staging.commit(write_split_lists(root, voices, clips, relative, summary));
  return summary;
}

}  // namespace unirep::data_makers
