// `unirep listen` end to end: a file, raw PCM on standard input (s16le and f32le), --json events,
// --truth scores, and bad input (NaN samples, a stream cut inside a sample, no input, --mic where no
// microphone can open) as one-line errors or documented warnings, never a crash or a hang.
#include "modalities/audio/wav_writer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "support/model_files.h"
#include "support/test_support.h"

using unirep::testing::run_cli;
using unirep::testing::run_cli_limited;
using unirep::testing::TempDir;

namespace {

std::vector<float> tones(size_t n) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i)
    x[i] = ((i / 8000) % 2 ? 0.3f : 0.02f) * std::sin(0.05f * static_cast<float>(i) * (1 + (i / 16000) % 3));
  return x;
}

std::string as_s16le(const std::vector<float>& x) {
  std::string bytes(x.size() * 2, '\0');
  for (size_t i = 0; i < x.size(); ++i) {
    const auto v = static_cast<int16_t>(std::lround(x[i] * 32767.0f));
    std::memcpy(&bytes[2 * i], &v, 2);
  }
  return bytes;
}

std::vector<nlohmann::json> json_lines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] == '{') lines.push_back(nlohmann::json::parse(line));
  return lines;
}

}  // namespace

TEST(CliListen, FileAndStandardInputGiveTheSameEvents) {
  TempDir d;
  const auto model = d.file("kws.safetensors");
  unirep::testing::write_audio_model(model);
  const auto x = tones(16000 * 5);
  std::vector<float> rounded(x.size());
  const auto pcm = as_s16le(x);
  for (size_t i = 0; i < x.size(); ++i) {
    int16_t v;
    std::memcpy(&v, &pcm[2 * i], 2);
    rounded[i] = static_cast<float>(v) / 32768.0f;
  }
  unirep::modalities::write_wav(d.file("x.wav"), rounded, 16000);
  const std::vector<std::string> common = {"--model-file", model, "--json", "--threshold", "0", "--threads", "1"};
  auto args = std::vector<std::string>{"listen", d.file("x.wav")};
  args.insert(args.end(), common.begin(), common.end());
  const auto from_file = run_cli(args);
  ASSERT_EQ(from_file.exit_code, 0) << from_file.output;
  const auto events = json_lines(from_file.output);
  ASSERT_GE(events.size(), 3u) << from_file.output;  // threshold 0: one event per refractory second
  for (const auto& e : events) {
    for (const char* key : {"keyword", "score", "start_s", "end_s", "time_s"}) EXPECT_TRUE(e.contains(key)) << e;
    EXPECT_LE(e["end_s"].get<double>(), e["time_s"].get<double>() + 1e-9);
  }
  unirep::testing::CliLimits limits;
  limits.stdin_bytes = pcm;
  args = {"listen", "-"};
  args.insert(args.end(), common.begin(), common.end());
  const auto from_stdin = run_cli_limited(args, limits);
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.output;
  const auto stdin_events = json_lines(from_stdin.output);
  ASSERT_EQ(stdin_events.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(stdin_events[i]["keyword"], events[i]["keyword"]);
    EXPECT_NEAR(stdin_events[i]["time_s"].get<double>(), events[i]["time_s"].get<double>(), 1e-9);
  }
  // f32le at 8 kHz: resampled, same length of stream.
  std::string f32;
  for (size_t i = 0; i < x.size(); i += 2) f32.append(reinterpret_cast<const char*>(&x[i]), 4);
  limits.stdin_bytes = f32 + "xy";  // ends inside a sample: dropped with a warning
  args.insert(args.end(), {"--format", "f32le", "--rate", "8000"});
  const auto resampled = run_cli_limited(args, limits);
  EXPECT_EQ(resampled.exit_code, 0) << resampled.output;
  EXPECT_NE(resampled.output.find("2 stray bytes dropped"), std::string::npos) << resampled.output;
  EXPECT_FALSE(json_lines(resampled.output).empty());
}

TEST(CliListen, TruthGivesRecallFalseAlarmsAndACurve) {
  TempDir d;
  const auto model = d.file("kws.safetensors");
  const auto labels = unirep::testing::write_audio_model(model);
  unirep::modalities::write_wav(d.file("x.wav"), tones(16000 * 6), 16000);
  nlohmann::json truth{{"duration_s", 6.0}, {"keywords", nlohmann::json::array()}};
  truth["keywords"].push_back({{"keyword", labels[0]}, {"start_s", 0.5}, {"end_s", 1.0}});
  truth["keywords"].push_back({{"keyword", labels[1]}, {"start_s", 3.0}, {"end_s", 3.5}});
  unirep::testing::write_bytes(d.file("truth.json"), truth.dump());
  const auto r = run_cli(
      {"listen", d.file("x.wav"), "--model-file", model, "--truth", d.file("truth.json"), "--json", "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto lines = json_lines(r.output);
  ASSERT_EQ(lines.size(), 1u) << r.output;
  const auto& j = lines[0];
  EXPECT_EQ(j["score"]["said"], 2);
  EXPECT_EQ(j["score"]["threshold"].get<double>(), 0.5);
  ASSERT_GE(j["curve"].size(), 20u);
  // Lower thresholds never give fewer events: hits + false alarms fall as the threshold rises.
  size_t previous = 0;
  for (const auto& s : j["curve"]) {
    const size_t events = s["hits"].get<size_t>() + s["false_alarms"].get<size_t>();
    // The refractory period can let one more through at a higher threshold.
    if (&s != &j["curve"].front()) EXPECT_LE(events, previous + 1) << s;
    previous = events;
    EXPECT_NEAR(s["false_alarms_per_hour"].get<double>(), s["false_alarms"].get<double>() * 600.0, 1e-6);
  }
  // A truth file that is not one: a one-line error naming it.
  unirep::testing::write_bytes(d.file("bad.json"), "{\"keywords\": 3}");
  const auto bad = run_cli({"listen", d.file("x.wav"), "--model-file", model, "--truth", d.file("bad.json")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("bad.json"), std::string::npos) << bad.output;
}

TEST(CliListen, BadInputIsAOneLineErrorNeverACrashOrAHang) {
  TempDir d;
  const auto model = d.file("kws.safetensors");
  unirep::testing::write_audio_model(model);
  unirep::testing::CliLimits limits;
  limits.timeout_s = 60;
  // NaN samples in f32le: an error naming standard input and the sample.
  std::vector<float> x = tones(4000);
  x[1234] = std::numeric_limits<float>::quiet_NaN();
  limits.stdin_bytes.assign(reinterpret_cast<const char*>(x.data()), x.size() * 4);
  auto r = run_cli_limited({"listen", "-", "--model-file", model, "--format", "f32le"}, limits);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("standard input"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("nan"), std::string::npos) << r.output;
  // Empty standard input: no events, no error.
  limits.stdin_bytes.clear();
  r = run_cli_limited({"listen", "-", "--model-file", model}, limits);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // No input at all, or two.
  r = run_cli_limited({"listen", "--model-file", model}, limits);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("give one input"), std::string::npos) << r.output;
  // A file that is not audio: its name and the problem.
  unirep::testing::write_bytes(d.file("notes.wav"), "not audio at all");
  r = run_cli_limited({"listen", d.file("notes.wav"), "--model-file", model}, limits);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("notes.wav"), std::string::npos) << r.output;
  // The microphone: where none can open (a test machine), or where PortAudio is not built in, a
  // one-line error and exit 1; the test never waits on a real device.
  r = run_cli_limited({"listen", "--mic", "--model-file", model}, limits, {"AUDIODEV=/dev/null", "PULSE_SERVER=none"});
  EXPECT_FALSE(r.timed_out);
  if (r.exit_code != 1) GTEST_SKIP() << "a microphone opened here; not stopping it: " << r.output;
  EXPECT_NE(r.output.find("unirep: error:"), std::string::npos) << r.output;
}
