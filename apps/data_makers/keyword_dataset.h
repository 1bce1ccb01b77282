#pragma once
// A real-speech keyword dataset made here, since none can be downloaded: the ten Speech Commands
// core words spoken by two synthesizers (espeak-ng with its English accents and voice variants,
// flite with its voices) over many speeds and pitches, placed at random in a 1 s window, with
// background noise mixed at random SNRs. Written in the Speech Commands layout (a folder per word,
// validation_list.txt, testing_list.txt), split by voice as Speech Commands splits by speaker:
// whole voices are held out for validation and test, so the test score measures generalization
// to unseen speakers.
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace unirep::data_makers {

struct KeywordDataOptions {
  std::string out_dir;
  int clips_per_word_per_voice = 6;  // for each (word, voice): random speed, pitch, variant, placement, noise
  uint64_t seed = 0;
  double min_snr_db = 5.0, max_snr_db = 30.0;
  // Training clips only: speed x exp(U(-1, 1) * log(1 + speed_perturbation)), pitch and formants
  // moving together (0.25: x0.8..x1.25); 0 = off.
  double speed_perturbation = 0.25;
  // Training espeak-ng clips only: the probability that the word's stressed vowel is swapped for a
  // neighbouring one, as accents move vowels ("up" as "op", "off" as "uff"), so that a model has to
  // hear the consonants too; 0 = off.
  double accent_vowels = 0.0;
  // Speech Commands' two extra classes, in folders _unknown_ and _silence_ (docs/audio.md, "The
  // keyword data set"): per voice, unknown_per_voice x clips of other speech (one other word or a
  // second of a phrase, drawn per clip) and silence_per_voice x clips of background noise alone.
  // 0 leaves the class out. Their clips are numbered after the keywords', so the keyword clips keep
  // their bytes whatever these are.
  int unknown_per_voice = 3;
  int silence_per_voice = 1;
  int threads = 0;  // synthesizer processes at once; 0: all cores
};

inline constexpr const char* kUnknownLabel = "_unknown_";
inline constexpr const char* kSilenceLabel = "_silence_";

struct SynthVoice {
  std::string synthesizer;  // "espeak-ng" or "flite"
  std::string name;         // espeak-ng voice (accent) or flite voice
  std::string split;        // "train", "validation" or "test"
};

const std::vector<std::string>& keyword_words();
// The words of the _unknown_ class: Speech Commands' auxiliary words and words that sound like the
// keywords ("yet", "now", "cup", "lift", "top"), so a model learns what is not a keyword.
const std::vector<std::string>& non_keyword_words();
// The words of the _unknown_ class's phrases: non_keyword_words() and everyday ones, never a keyword.
const std::vector<std::string>& phrase_words();
// The voices and their split: test holds out flite "rms" and the espeak-ng accents en-gb-scotland
// and en-029; validation holds out flite "kal16" and espeak-ng en-gb-x-gbcwmd.
std::vector<SynthVoice> keyword_voices();

// `text` said by `voice` at a random speed and pitch (espeak-ng: in a random voice variant), at
// 16 kHz, the silence around it trimmed: the utterances of the keyword stream. `scratch` is a file
// the synthesizer may write (removed after). Throws when the synthesizer fails or says nothing.
std::vector<float> say(const SynthVoice& voice, const std::string& text, const std::string& scratch,
                       std::mt19937_64& rng);

struct KeywordDataSummary {
  size_t train = 0, validation = 0, test = 0;
  std::vector<std::string> missing_synthesizers;
};

// Generates the dataset; `progress(done, total)` is called as clips are written. Deterministic for
// a seed. Fails with a clear message when neither synthesizer is installed. Built in a hidden
// staging folder beside OUT and put in place when complete (staging_folder.h), so a failed or
// stopped run leaves OUT as it was.
KeywordDataSummary generate_keyword_dataset(const KeywordDataOptions& options,
                                            const std::function<void(size_t, size_t)>& progress = {});

}  // namespace unirep::data_makers
