#pragma once
// A long recording to test keyword spotting on (docs/audio.md, "Streaming"): the ten keywords said
// among other words and phrases, with pauses, over background noise that changes kind and level,
// by the voices of one split of the keyword data set (the held-out test voices by default), so a
// model trained on that data set is tested on speakers it never heard. Written as OUT/stream.wav
// (16 kHz mono) and OUT/truth.json: where each keyword and each other utterance lies.
#include <cstdint>
#include <functional>
#include <string>

namespace unirep::data_makers {

struct KeywordStreamDataOptions {
  std::string out_dir;
  double minutes = 10;
  std::string split = "test";                  // whose voices speak: "train", "validation" or "test"
  double keyword_share = 0.35;                 // of the utterances; the others are 1-4 words of other speech
  double min_snr_db = 5.0, max_snr_db = 30.0;  // speech to noise, drawn per 10 s of noise
  uint64_t seed = 0;
  int threads = 0;
};

struct KeywordStreamDataSummary {
  size_t keywords = 0, other_utterances = 0;
  double duration_s = 0;
};

// Deterministic for a seed. Built in a staging folder and put in place whole (staging_folder.h).
KeywordStreamDataSummary generate_keyword_stream(const KeywordStreamDataOptions& options,
                                                 const std::function<void(size_t, size_t)>& progress = {});

}  // namespace unirep::data_makers
