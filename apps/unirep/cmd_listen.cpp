// unirep listen: keyword spotting on a stream (docs/audio.md, "Streaming").
//
//   unirep listen --model-file M FILE          a file in any format the SDK decodes, as fast as it can
//   unirep listen --model-file M - --rate 16000 --format s16le    raw PCM from standard input
//   unirep listen --model-file M --mic         the default microphone (built with PortAudio)
//   unirep listen --model-file M stream.wav --truth truth.json     scored: recall, false alarms per hour
//
// One line per event ("12.40 s  yes  0.93  (11.62 - 12.05 s)"), or with --json one object per line:
// {"keyword", "score", "start_s", "end_s", "time_s"}.
#include "commands.h"
#include "input_options.h"
#include "microphone.h"
#include "model_options.h"

#include "models/io/text_escape.h"
#include "modalities/audio/decode.h"
#include "sdk/audio/keyword_stream.h"
#include "sdk/audio/stream_score.h"
#include "sdk/threads.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace unirep::cli {
namespace {

struct ListenArgs {
  std::string input, model_file, format = "s16le", truth;
  bool mic = false, json = false, realtime = false;
  int rate = 16000, threads = 0;
  sdk::KeywordStreamOptions stream;
  sdk::InferenceSettings inference;
};

void print_event(const sdk::KeywordEvent& e, bool json) {
  if (json) {
    nlohmann::json j{{"keyword", io::utf8_for_json(e.keyword)},
                     {"score", e.score},
                     {"start_s", e.start_s},
                     {"end_s", e.end_s},
                     {"time_s", e.time_s}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%8.2f s  %-12s %.3f  (%.2f - %.2f s)\n", e.time_s, e.keyword.c_str(), e.score, e.start_s, e.end_s);
  }
  std::fflush(stdout);
}

// Feeds blocks into the stream, decodes what is ready and prints the events; with `realtime`,
// waits so the stream never runs ahead of the wall clock (as a live source would).
class Listener {
 public:
  Listener(sdk::KeywordStream& stream, const ListenArgs& a) : stream_(stream), a_(a) {}
  template <typename Sample>
  void push(int rate, const Sample* x, int64_t n) {
    if (a_.realtime) {
      const auto due = start_ + std::chrono::duration<double>(pushed_s_);
      std::this_thread::sleep_until(due);
    }
    stream_.accept_waveform(rate, x, n);
    pushed_s_ += static_cast<double>(n) / rate;
    drain();
  }
  void finish() {
    stream_.input_finished();
    drain();
  }
  // With --truth: every window's scores, for the curve.
  const std::vector<sdk::WindowScores>& windows() const { return windows_; }

 private:
  void drain() {
    while (stream_.is_ready()) stream_.decode();
    for (auto& e : stream_.take_events()) {
      if (!a_.truth.empty()) continue;  // scored at the end instead
      print_event(e, a_.json);
    }
    for (auto& w : stream_.take_window_scores()) windows_.push_back(std::move(w));
  }

  sdk::KeywordStream& stream_;
  const ListenArgs& a_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  double pushed_s_ = 0;
  std::vector<sdk::WindowScores> windows_;
};

void listen_file(Listener& l, const std::string& path, bool realtime) {
  modalities::AudioReader reader(path);
  const int rate = reader.info().sample_rate;
  // 20 ms blocks at real time, as a device delivers them; bigger ones otherwise, for batching.
  std::vector<float> block(static_cast<size_t>(realtime ? rate / 50 : 1 << 15));
  while (true) {
    const int64_t n = reader.read(block.data(), static_cast<int64_t>(block.size()));
    if (n <= 0) break;
    try {
      l.push(rate, block.data(), n);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(path + ": " + e.what());
    }
  }
}

// Raw PCM from standard input. A stream that ends in the middle of a sample (a producer that died)
// ends there: the stray bytes are reported on stderr and dropped.
void listen_stdin(Listener& l, const ListenArgs& a) {
  const size_t width = a.format == "s16le" ? 2 : 4;
  const size_t samples = a.realtime ? static_cast<size_t>(a.rate / 50) : 8192;
  std::vector<unsigned char> bytes(samples * width);
  size_t have = 0;
  std::vector<int16_t> s16(samples);
  std::vector<float> f32(samples);
  while (true) {
    const size_t got = std::fread(bytes.data() + have, 1, bytes.size() - have, stdin);
    have += got;
    const size_t whole = have / width;
    if (whole > 0) {
      try {
        if (width == 2) {
          std::memcpy(s16.data(), bytes.data(), whole * 2);  // little-endian host (x86-64, arm64)
          l.push(a.rate, s16.data(), static_cast<int64_t>(whole));
        } else {
          std::memcpy(f32.data(), bytes.data(), whole * 4);
          l.push(a.rate, f32.data(), static_cast<int64_t>(whole));
        }
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error(std::string("standard input: ") + e.what());
      }
      std::memmove(bytes.data(), bytes.data() + whole * width, have - whole * width);
      have -= whole * width;
    }
    if (got == 0) break;
  }
  if (std::ferror(stdin)) throw std::runtime_error("standard input: reading failed");
  if (have > 0)
    std::fprintf(stderr, "unirep: warning: standard input ended in the middle of a sample (%zu stray bytes dropped)\n",
                 have);
}

// With --truth: the score at the chosen threshold, then the curve over thresholds.
void print_score(const std::vector<sdk::WindowScores>& windows, const std::vector<std::string>& labels,
                 const sdk::StreamTruth& truth, const ListenArgs& a) {
  std::vector<float> thresholds;
  for (int i = 1; i <= 19; ++i) thresholds.push_back(0.05f * static_cast<float>(i));
  for (const float t : {0.96f, 0.97f, 0.98f, 0.99f}) thresholds.push_back(t);
  if (std::find(thresholds.begin(), thresholds.end(), a.stream.threshold) == thresholds.end())
    thresholds.push_back(a.stream.threshold);
  std::sort(thresholds.begin(), thresholds.end());
  const auto curve = sdk::stream_score_curve(windows, labels, a.stream, truth, thresholds);
  auto to_json = [](const sdk::StreamScore& s) {
    return nlohmann::json{{"threshold", s.threshold},
                          {"said", s.said},
                          {"hits", s.hits},
                          {"false_alarms", s.false_alarms},
                          {"recall", s.recall},
                          {"false_alarms_per_hour", s.false_alarms_per_hour},
                          {"median_latency_s", s.median_latency_s}};
  };
  const auto chosen =
      *std::find_if(curve.begin(), curve.end(), [&](const auto& s) { return s.threshold == a.stream.threshold; });
  if (a.json) {
    nlohmann::json j{{"duration_s", truth.duration_s}, {"score", to_json(chosen)}};
    for (const auto& s : curve) j["curve"].push_back(to_json(s));
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("%.1f min of stream, %zu keywords said\n", truth.duration_s / 60, truth.keywords.size());
  std::printf("threshold  recall  misses  false alarms  per hour  median latency\n");
  for (const auto& s : curve)
    std::printf("%s%8.2f  %5.1f%%  %6zu  %12zu  %8.1f  %11.0f ms\n", s.threshold == a.stream.threshold ? "*" : " ",
                s.threshold, 100 * s.recall, s.said - s.hits, s.false_alarms, s.false_alarms_per_hour,
                1000 * s.median_latency_s);
}

void listen_mic(Listener& l, const ListenArgs& a) {
  Microphone mic(a.rate, a.rate / 50);
  std::fprintf(stderr, "listening to the default microphone at %d Hz (Ctrl-C stops)\n", a.rate);
  std::vector<float> block;
  while (true) {
    mic.read(block);
    l.push(a.rate, block.data(), static_cast<int64_t>(block.size()));
  }
}

}  // namespace

Command add_listen(CLI::App& app) {
  auto a = std::make_shared<ListenArgs>();
  app.add_option("input", a->input, "Audio file (any format), or - for raw PCM on standard input")
      ->check(existing_input(/*standard_input=*/true));
  app.add_option("--model-file,-m", a->model_file, "Trained keyword model (.safetensors written by unirep train audio)")
      ->required()
      ->check(existing_input());
  app.add_flag("--mic", a->mic,
               std::string("Listen to the default microphone") +
                   (microphone_built_in() ? "" : " (not built in: needs PortAudio, portaudio19-dev)"));
  app.add_option("--rate", a->rate, "Sample rate of standard input or the microphone, Hz (default 16000)")
      ->check(CLI::Range(1000, 768000));
  app.add_option("--format", a->format, "Sample format of standard input: s16le (default) or f32le")
      ->check(CLI::IsMember({"s16le", "f32le"}));
  app.add_flag("--realtime", a->realtime, "Feed a file or standard input no faster than real time, in 20 ms blocks");
  app.add_flag("--json", a->json, "One JSON object per event: keyword, score, start_s, end_s, time_s");
  app.add_option("--truth", a->truth,
                 "truth.json of `unirep data keyword-stream`: print recall, false alarms per hour and latency "
                 "over thresholds instead of the events")
      ->check(existing_input());
  app.add_option("--threshold", a->stream.threshold, "Smoothed probability a keyword needs to fire (default 0.5)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--hop", a->stream.hop_s, "Seconds between decisions (default 0.1)")->check(CLI::Range(0.01, 10.0));
  app.add_option("--window", a->stream.window_s,
                 "Seconds of audio each decision hears (default 1, a Speech Commands clip; at most the model's input)")
      ->check(CLI::Range(0.025, 3600.0));
  app.add_option("--smoothing", a->stream.smoothing, "Decisions averaged before the threshold (default 3)")
      ->check(CLI::Range(1, 100));
  app.add_option("--refractory", a->stream.refractory_s, "Seconds after an event in which no other fires (default 1)")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--threads,-t", a->threads, "CPU threads (default: all cores)")->check(CLI::NonNegativeNumber);
  add_precision_option(app, a->inference.precision);
  return [a]() {
    if (a->mic == !a->input.empty())
      throw std::invalid_argument("listen: give one input: an audio file, - for standard input, or --mic");
    if (!a->truth.empty() && (a->mic || a->input == "-"))
      throw std::invalid_argument("listen: --truth scores a recorded file (from unirep data keyword-stream)");
    a->stream.keep_window_scores = !a->truth.empty();
    // Read before listening, so a bad truth file fails before the whole stream is scored.
    const auto truth = a->truth.empty() ? sdk::StreamTruth{} : sdk::read_stream_truth(a->truth);
    sdk::configure_threads(a->threads);
    const auto spotter = sdk::KeywordSpotter::load(a->model_file, a->inference);
    auto stream = spotter.create_stream(a->stream);
    Listener listener(stream, *a);
    if (a->mic)
      listen_mic(listener, *a);
    else if (a->input == "-")
      listen_stdin(listener, *a);
    else
      listen_file(listener, a->input, a->realtime);
    listener.finish();
    if (!a->truth.empty()) print_score(listener.windows(), spotter.classifier().labels(), truth, *a);
    return 0;
  };
}

}  // namespace unirep::cli
