// Decoding: every container and codec we promise (files made at test time with sox and ffmpeg, or
// written byte by byte), detection by content, exact PCM scaling and channel averaging, bad input
// refused with the path in the message, and a 10-hour file streamed in bounded memory.
#include "modalities/audio/decode.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "support/test_support.h"
#include "tone_analysis.h"

namespace unirep::modalities {
namespace {
using unirep::testing::TempDir;
using unirep::testing::write_bytes;

// ---- helpers -------------------------------------------------------------------------------------

bool have_tool(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

bool have_ffmpeg_encoder(const std::string& name) {
  return have_tool("ffmpeg") &&
         std::system(("ffmpeg -hide_banner -encoders 2>/dev/null | grep -q ' " + name + " '").c_str()) == 0;
}

// Runs a shell command, its output going to a log beside the files; returns the log on failure.
::testing::AssertionResult shell(const std::string& command, const TempDir& dir) {
  const std::string log = dir.file("command.log");
  if (std::system((command + " >'" + log + "' 2>&1").c_str()) == 0) return ::testing::AssertionSuccess();
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ::testing::AssertionFailure() << "command failed: " << command << "\n" << text;
}

#define REQUIRE_TOOL(name) \
  if (!have_tool(name)) GTEST_SKIP() << name " is not installed (apt-get install " name ")"
#define REQUIRE_ENCODER(name) \
  if (!have_ffmpeg_encoder(name)) GTEST_SKIP() << "ffmpeg lacks the " name " encoder"

void put_u16(std::string& s, uint16_t v) {
  s.append({static_cast<char>(v & 0xff), static_cast<char>(v >> 8)});
}
void put_u32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A canonical 44-byte WAV header. `data_bytes` is what the header declares (the caller appends the
// data, or not).
std::string wav_header(int format_tag, int channels, uint32_t rate, int bits, uint32_t data_bytes) {
  std::string h = "RIFF";
  put_u32(h, 36 + data_bytes);
  h += "WAVEfmt ";
  put_u32(h, 16);
  put_u16(h, static_cast<uint16_t>(format_tag));
  put_u16(h, static_cast<uint16_t>(channels));
  put_u32(h, rate);
  put_u32(h, rate * static_cast<uint32_t>(channels * bits / 8));
  put_u16(h, static_cast<uint16_t>(channels * bits / 8));
  put_u16(h, static_cast<uint16_t>(bits));
  h += "data";
  put_u32(h, data_bytes);
  return h;
}

std::string int16_wav(const std::vector<int16_t>& interleaved, int channels, uint32_t rate) {
  std::string data(interleaved.size() * 2, '\0');
  std::memcpy(data.data(), interleaved.data(), data.size());  // little-endian host
  return wav_header(1, channels, rate, 16, static_cast<uint32_t>(data.size())) + data;
}

// Expects `fn` to throw std::runtime_error whose message starts with `path` and contains `needle`.
template <typename Fn>
void expect_error(Fn fn, const std::string& path, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "no error for " << path;
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << "message does not start with the path: " << message;
    EXPECT_NE(message.find(needle), std::string::npos) << "expected '" << needle << "' in: " << message;
  }
}

// Resident set size of this process, in bytes.
int64_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// Checks a decoded 440 Hz tone: length (within `length_slack` seconds), frequency, amplitude.
void expect_tone(const DecodedAudio& a, int rate, double seconds, double amplitude, double amplitude_tolerance,
                 double length_slack) {
  EXPECT_EQ(a.sample_rate, rate);
  EXPECT_NEAR(static_cast<double>(a.samples.size()) / rate, seconds, length_slack);
  const auto mid = unirep::testing::slice(a.samples, a.samples.size() / 4, a.samples.size() * 3 / 4);
  EXPECT_NEAR(unirep::testing::zero_crossing_frequency(mid, rate), 440.0, 1.0);
  EXPECT_NEAR(unirep::testing::amplitude_at(mid, 440, rate), amplitude, amplitude_tolerance);
}

// ---- PCM in WAV: exact values --------------------------------------------------------------------

TEST(Decode, WavInt16ScaledLikeTorchaudio) {
  TempDir dir;
  const std::string path = dir.file("a.wav");
  write_bytes(path, int16_wav({0, 1, -1, 32767, -32768, 16384, -16384}, 1, 16000));
  const auto a = decode_audio(path);
  EXPECT_EQ(a.sample_rate, 16000);
  EXPECT_EQ(a.info.channels, 1);
  EXPECT_EQ(a.info.frames, 7);
  EXPECT_EQ(a.info.container, "wav");
  EXPECT_EQ(a.info.codec, "pcm_s16le");
  EXPECT_EQ(a.info.decoder, "libsndfile");
  const std::vector<float> expected = {0.0f, 1 / 32768.0f, -1 / 32768.0f, 32767 / 32768.0f, -1.0f, 0.5f, -0.5f};
  EXPECT_EQ(a.samples, expected);
}

TEST(Decode, WavFloat32KeptExactly) {
  TempDir dir;
  const std::string path = dir.file("f.wav");
  const std::vector<float> values = {0.25f, -0.75f, 1e-6f, 1.5f};  // not clipped: the file's own values
  std::string data(values.size() * 4, '\0');
  std::memcpy(data.data(), values.data(), data.size());
  write_bytes(path, wav_header(3, 1, 48000, 32, static_cast<uint32_t>(data.size())) + data);
  const auto a = decode_audio(path);
  EXPECT_EQ(a.sample_rate, 48000);
  EXPECT_EQ(a.info.codec, "pcm_f32le");
  EXPECT_EQ(a.samples, values);
}

TEST(Decode, StereoAveragedToMono) {
  TempDir dir;
  const std::string path = dir.file("stereo.wav");
  // Frames (L, R): (1000, 3000), (-32768, 32767), (100, -100), (5, 6)
  write_bytes(path, int16_wav({1000, 3000, -32768, 32767, 100, -100, 5, 6}, 2, 22050));
  AudioReader reader(path);
  EXPECT_EQ(reader.info().channels, 2);
  EXPECT_EQ(reader.info().frames, 4);
  std::vector<float> out(10);
  ASSERT_EQ(reader.read(out.data(), 10), 4);
  EXPECT_EQ(reader.read(out.data(), 10), 0);  // end of audio
  EXPECT_FLOAT_EQ(out[0], 2000 / 32768.0f);
  EXPECT_FLOAT_EQ(out[1], -0.5f / 32768.0f);
  EXPECT_FLOAT_EQ(out[2], 0.0f);
  EXPECT_FLOAT_EQ(out[3], 5.5f / 32768.0f);
}

TEST(Decode, StereoToneFromSoxAveraged) {
  REQUIRE_TOOL("sox");
  TempDir dir;
  const std::string path = dir.file("s.wav");
  // Left 440 Hz at 0.5, right silent: the mono average is 440 Hz at 0.25.
  ASSERT_TRUE(shell("sox -n -r 16000 -b 16 -c 2 '" + path + "' synth 2 sine 440 sine 440 remix 1 0 vol 0.5 ", dir) ||
              shell("sox -n -r 16000 -b 16 -c 2 '" + path + "' synth 2 sine 440 vol 0.5 remix 1 0", dir));
  const auto a = decode_audio(path);
  EXPECT_EQ(a.info.channels, 2);
  expect_tone(a, 16000, 2.0, 0.25, 0.002, 1e-9);
}

TEST(Decode, SampleRatesReported) {
  REQUIRE_TOOL("sox");
  TempDir dir;
  for (int rate : {8000, 16000, 44100, 48000}) {
    SCOPED_TRACE(rate);
    const std::string path = dir.file("r" + std::to_string(rate) + ".wav");
    ASSERT_TRUE(
        shell("sox -n -r " + std::to_string(rate) + " -b 16 -c 1 '" + path + "' synth 1.5 sine 440 vol 0.5", dir));
    const auto a = decode_audio(path);
    EXPECT_EQ(a.info.frames, static_cast<int64_t>(rate * 1.5));
    expect_tone(a, rate, 1.5, 0.5, 0.001, 1e-9);
  }
}

// ---- other containers and codecs -----------------------------------------------------------------

TEST(Decode, FlacIsLosslessAndRoutedToLibsndfile) {
  REQUIRE_TOOL("sox");
  TempDir dir;
  const std::string wav = dir.file("t.wav"), flac = dir.file("t.flac");
  ASSERT_TRUE(shell("sox -n -r 44100 -b 16 -c 2 '" + wav + "' synth 1 sine 440 sine 660 vol 0.5", dir));
  ASSERT_TRUE(shell("sox '" + wav + "' '" + flac + "'", dir));
  const auto a = decode_audio(wav), b = decode_audio(flac);
  EXPECT_EQ(b.info.container, "flac");
  EXPECT_EQ(b.info.codec, "flac");
  EXPECT_EQ(b.info.decoder, "libsndfile");
  EXPECT_EQ(b.info.frames, 44100);
  EXPECT_EQ(a.samples, b.samples);
}

struct LossyCase {
  const char* name;
  const char* encoder;  // ffmpeg encoder name
  const char* args;     // ffmpeg output arguments
  const char* file;
  const char* codec;
  const char* decoder;
};

class DecodeLossy : public ::testing::TestWithParam<LossyCase> {};

TEST_P(DecodeLossy, ToneSurvives) {
  const auto& c = GetParam();
  if (!have_ffmpeg_encoder(c.encoder)) GTEST_SKIP() << "ffmpeg lacks the " << c.encoder << " encoder";
  TempDir dir;
  const std::string path = dir.file(c.file);
  // 2 s of 440 Hz at amplitude 0.5 (sine=...:amplitude needs newer ffmpeg; volume scales the 1/8 default).
  ASSERT_TRUE(
      shell("ffmpeg -nostdin -y -f lavfi -i 'sine=frequency=440:sample_rate=48000:duration=2' -af volume=4 -ac 1 " +
                std::string(c.args) + " '" + path + "'",
            dir));
  const auto a = decode_audio(path);
  EXPECT_EQ(a.info.codec, c.codec);
  EXPECT_EQ(a.info.decoder, c.decoder);
  EXPECT_EQ(a.info.channels, 1);
  // Opus decodes at 48 kHz through FFmpeg, libsndfile may report the encoder's input rate instead.
  expect_tone(a, 48000, 2.0, 0.5, 0.05, 0.06);
}

INSTANTIATE_TEST_SUITE_P(
    Decode, DecodeLossy,
    ::testing::Values(LossyCase{"ogg_vorbis", "libvorbis", "-c:a libvorbis -q:a 6", "v.ogg", "vorbis", "libsndfile"},
                      LossyCase{"ogg_opus", "libopus", "-c:a libopus -b:a 96k", "o.opus", "opus", "libsndfile"},
                      LossyCase{"mp3", "libmp3lame", "-c:a libmp3lame -b:a 128k", "m.mp3", "mp3", "ffmpeg"},
                      LossyCase{"m4a_aac", "aac", "-c:a aac -b:a 128k", "a.m4a", "aac", "ffmpeg"},
                      LossyCase{"adts_aac", "aac", "-c:a aac -b:a 128k -f adts", "a.aac", "aac", "ffmpeg"},
                      LossyCase{"mkv_vorbis", "libvorbis", "-c:a libvorbis -f matroska", "v.mkv", "vorbis", "ffmpeg"},
                      LossyCase{"webm_opus", "libopus", "-c:a libopus -f webm", "o.webm", "opus", "ffmpeg"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Decode, AudioTrackOfMp4Video) {
  REQUIRE_ENCODER("aac");
  REQUIRE_ENCODER("mpeg4");
  TempDir dir;
  const std::string path = dir.file("clip.mp4");
  ASSERT_TRUE(
      shell("ffmpeg -nostdin -y -f lavfi -i testsrc=size=64x48:rate=10 -f lavfi -i "
            "'sine=frequency=440:sample_rate=44100' -t 2 -af 'volume=4,pan=stereo|c0=c0|c1=c0' -c:v mpeg4 -c:a aac '" +
                path + "'",
            dir));
  const auto a = decode_audio(path);
  EXPECT_EQ(a.info.decoder, "ffmpeg");
  EXPECT_NE(a.info.container.find("mp4"), std::string::npos) << a.info.container;
  EXPECT_EQ(a.info.codec, "aac");
  EXPECT_EQ(a.info.channels, 2);
  EXPECT_GT(a.info.frames, 0);
  expect_tone(a, 44100, 2.0, 0.5, 0.05, 0.06);
}

TEST(Decode, VideoWithoutAudioIsRefused) {
  REQUIRE_ENCODER("mpeg4");
  TempDir dir;
  const std::string path = dir.file("silent_film.mp4");
  ASSERT_TRUE(shell("ffmpeg -nostdin -y -f lavfi -i testsrc=size=64x48:rate=10 -t 1 -c:v mpeg4 '" + path + "'", dir));
  expect_error([&] { AudioReader r(path); }, path, "no audio stream");
}

TEST(Decode, DetectedByContentNotExtension) {
  REQUIRE_ENCODER("libmp3lame");
  REQUIRE_TOOL("sox");
  TempDir dir;
  const std::string mp3 = dir.file("real.mp3");
  ASSERT_TRUE(
      shell("ffmpeg -nostdin -y -f lavfi -i 'sine=frequency=440:sample_rate=16000:duration=1' -af volume=4 "
            "-c:a libmp3lame '" +
                mp3 + "'",
            dir));
  const std::string bytes = unirep::testing::read_bytes(mp3);
  for (const std::string name : {"fake.wav", "no_extension", "x.flac"}) {
    const std::string path = dir.file(name);
    write_bytes(path, bytes);
    const auto a = decode_audio(path);
    EXPECT_EQ(a.info.decoder, "ffmpeg") << name;
    EXPECT_EQ(a.info.codec, "mp3") << name;
    expect_tone(a, 16000, 1.0, 0.5, 0.05, 0.08);
  }
  // And the other way round: FLAC named .mp3 goes to libsndfile.
  const std::string flac = dir.file("t.flac"), renamed = dir.file("t.mp3");
  ASSERT_TRUE(shell("sox -n -r 16000 -b 16 -c 1 '" + flac + "' synth 1 sine 440 vol 0.5", dir));
  std::filesystem::rename(flac, renamed);
  const auto b = decode_audio(renamed);
  EXPECT_EQ(b.info.decoder, "libsndfile");
  EXPECT_EQ(b.info.container, "flac");
  expect_tone(b, 16000, 1.0, 0.5, 0.001, 1e-9);
}

TEST(Decode, OtherSndfileContainers) {
  REQUIRE_TOOL("sox");
  TempDir dir;
  for (const std::string name : {"t.aiff", "t.au", "t.caf", "t.w64"}) {
    SCOPED_TRACE(name);
    const std::string path = dir.file(name);
    if (!shell("sox -n -r 16000 -b 16 -c 1 '" + path + "' synth 1 sine 440 vol 0.5", dir)) continue;  // sox lacks it
    const auto a = decode_audio(path);
    EXPECT_EQ(a.info.decoder, "libsndfile");
    expect_tone(a, 16000, 1.0, 0.5, 0.001, 1e-9);
  }
}

TEST(Decode, MatchesTorchaudio) {
  REQUIRE_TOOL("sox");
  const char* python = "/usr/bin/python3";
  // find_spec looks for the module without importing it (importing torch takes seconds).
  if (std::system((std::string(python) +
                   " -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec(\"torchaudio\") is None)' "
                   ">/dev/null 2>&1")
                      .c_str()) != 0)
    GTEST_SKIP() << python << " has no torchaudio";
  TempDir dir;
  const std::vector<std::string> names = {"s.wav", "s.flac", "s24.wav"};
  std::string args;
  for (const auto& name : names) {
    const std::string bits = name == "s24.wav" ? "24" : "16";
    ASSERT_TRUE(shell(
        "sox -n -r 22050 -b " + bits + " -c 2 '" + dir.file(name) + "' synth 0.5 sine 300 pinknoise vol 0.4", dir));
    args += " '" + dir.file(name) + "' '" + dir.file(name + ".f32") + "'";
  }
  // One interpreter for all files (importing torch takes seconds): mono = mean over channels.
  ASSERT_TRUE(shell(std::string(python) +
                        " -c \"import sys, torchaudio\n"
                        "for src, dst in zip(sys.argv[1::2], sys.argv[2::2]):\n"
                        "    w, sr = torchaudio.load(src); w.mean(0).numpy().astype('<f4').tofile(dst)\"" +
                        args,
                    dir));
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const std::string ref_bytes = unirep::testing::read_bytes(dir.file(name + ".f32"));
    std::vector<float> ref(ref_bytes.size() / 4);
    std::memcpy(ref.data(), ref_bytes.data(), ref.size() * 4);
    const auto a = decode_audio(dir.file(name));
    ASSERT_EQ(a.samples.size(), ref.size());
    double worst = 0;
    for (size_t i = 0; i < ref.size(); ++i)
      worst = std::max(worst, static_cast<double>(std::abs(a.samples[i] - ref[i])));
    EXPECT_LE(worst, 1e-6);
  }
}

// ---- bad input -----------------------------------------------------------------------------------

TEST(Decode, MissingFolderAndEmptyFileRefused) {
  TempDir dir;
  const std::string missing = dir.file("nope.wav"), empty = dir.file("empty.wav");
  expect_error([&] { decode_audio(missing); }, missing, "no such file");
  expect_error([&] { AudioReader r(dir.path()); }, dir.path(), "folder");
  write_bytes(empty, "");
  expect_error([&] { decode_audio(empty); }, empty, "empty");
}

TEST(Decode, TextAndGarbageRefused) {
  TempDir dir;
  const std::string text = dir.file("notes.wav");
  write_bytes(text, "This is a shopping list, not a recording.\nmilk\neggs\n");
  expect_error([&] { decode_audio(text); }, text, "not an audio file");
  const std::string tiny = dir.file("tiny.mp3");
  write_bytes(tiny, "ID");
  expect_error([&] { decode_audio(tiny); }, tiny, "not an audio file");
  std::string noise(4096, '\0');
  uint32_t s = 12345;
  for (auto& ch : noise) ch = static_cast<char>((s = s * 1664525u + 1013904223u) >> 24);
  const std::string garbage = dir.file("noise.m4a");
  write_bytes(garbage, noise);
  try {  // random bytes: FFmpeg may even find "MPEG frames" in them; never a crash, errors name the file
    decode_audio(garbage);
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(garbage + ": ", 0), 0u) << e.what();
  }
}

TEST(Decode, TruncatedAndCorruptHeadersRefused) {
  TempDir dir;
  const std::string good = int16_wav(std::vector<int16_t>(1000, 1234), 1, 16000);
  const std::string truncated = dir.file("truncated.wav");
  write_bytes(truncated, good.substr(0, 30));  // cut inside the fmt chunk
  expect_error([&] { decode_audio(truncated); }, truncated, "libsndfile");
  std::string broken = good;
  std::memcpy(&broken[12], "junk", 4);  // no fmt chunk any more
  const std::string corrupt = dir.file("corrupt.wav");
  write_bytes(corrupt, broken);
  expect_error([&] { decode_audio(corrupt); }, corrupt, "libsndfile");
}

TEST(Decode, AbsurdHeaderValuesRefused) {
  TempDir dir;
  const std::string data(400, '\0');
  struct Case {
    int channels;
    uint32_t rate;
    const char* needle;
  };
  for (const Case c :
       {Case{1, 10'000'000, "sample rate"}, Case{1, 0, ""}, Case{100, 16000, "channel"}, Case{0, 16000, ""}}) {
    const std::string path = dir.file("bad_" + std::to_string(c.channels) + "_" + std::to_string(c.rate) + ".wav");
    write_bytes(path, wav_header(1, c.channels, c.rate, 16, 400) + data);
    SCOPED_TRACE(path);
    expect_error([&] { decode_audio(path); }, path, c.needle);
  }
}

TEST(Decode, ZeroLengthAudio) {
  TempDir dir;
  const std::string path = dir.file("zero.wav");
  write_bytes(path, wav_header(1, 1, 16000, 16, 0));
  AudioReader reader(path);  // a valid, empty recording opens...
  EXPECT_EQ(reader.info().frames, 0);
  float x[4];
  EXPECT_EQ(reader.read(x, 4), 0);
  expect_error([&] { decode_audio(path); }, path, "zero-length");  // ...but has nothing to decode
}

TEST(Decode, DamagedFilesNeverCrash) {
  // Every truncation and a byte flipped at every 7th offset of a small WAV and MP3: each either
  // decodes or throws an error naming the file.
  TempDir dir;
  std::vector<std::string> originals = {int16_wav(std::vector<int16_t>(300, -2000), 2, 8000)};
  if (have_ffmpeg_encoder("libmp3lame")) {
    const std::string mp3 = dir.file("src.mp3");
    if (shell("ffmpeg -nostdin -y -f lavfi -i 'sine=frequency=440:sample_rate=8000:duration=0.3' -c:a libmp3lame '" +
                  mp3 + "'",
              dir))
      originals.push_back(unirep::testing::read_bytes(mp3));
  }
  int variants = 0;
  for (size_t o = 0; o < originals.size(); ++o) {
    const std::string& bytes = originals[o];
    for (size_t cut = 1; cut < std::min<size_t>(bytes.size(), 200); cut += 3) {
      std::string damaged = bytes.substr(0, cut);
      if (cut % 2 == 0) {
        damaged = bytes;
        damaged[cut] = static_cast<char>(damaged[cut] ^ 0xA5);
      }
      const std::string path = dir.file("d" + std::to_string(o) + "_" + std::to_string(cut));
      write_bytes(path, damaged);
      ++variants;
      try {
        decode_audio(path);
      } catch (const std::runtime_error& e) {
        ASSERT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
      }
    }
  }
  EXPECT_GT(variants, 60);
}

// ---- long recordings -----------------------------------------------------------------------------

TEST(Decode, TooLongForDecodeAudioWhenLengthUnknown) {
  REQUIRE_ENCODER("libmp3lame");
  TempDir dir;
  const std::string path = dir.file("no_xing.mp3");
  // Without the Xing header the length is only a bit-rate guess, so it is checked while reading.
  ASSERT_TRUE(
      shell("ffmpeg -nostdin -y -f lavfi -i 'sine=frequency=440:sample_rate=16000:duration=3' -c:a libmp3lame "
            "-write_xing 0 '" +
                path + "'",
            dir));
  EXPECT_EQ(AudioReader(path).info().frames, -1);  // so the limit is enforced while reading
  EXPECT_GT(decode_audio(path).samples.size(), 40000u);
  DecodeOptions options;
  options.max_seconds = 1.0;
  expect_error([&] { decode_audio(path, options); }, path, "more than");
  expect_error([&] { decode_audio(path, options); }, path, "AudioReader");
}

TEST(Decode, TenHourFileStreamsInBoundedMemory) {
  TempDir dir;
  const std::string path = dir.file("ten_hours.wav");
  constexpr int64_t rate = 16000, frames = 10LL * 3600 * rate;
  constexpr uint32_t data_bytes = static_cast<uint32_t>(frames * 2);  // 1.15 GB: fits the 32-bit size
  write_bytes(path, wav_header(1, 1, rate, 16, data_bytes));
  // Sparse: the file has its full size but no data blocks on disk (zeros read back as silence).
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(44 + static_cast<int64_t>(data_bytes))), 0)
      << std::strerror(errno);

  // decode_audio refuses at once, from the header, and points to streaming.
  const auto start = std::chrono::steady_clock::now();
  DecodeOptions options;
  options.max_seconds = 9.5 * 3600;
  expect_error([&] { decode_audio(path, options); }, path, "AudioReader");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5.0);

  // AudioReader reads it start to end, memory flat.
  AudioReader reader(path);
  EXPECT_EQ(reader.info().frames, frames);
  EXPECT_EQ(reader.info().sample_rate, rate);
  std::vector<float> block(1 << 16);
  int64_t total = 0;
  float peak = 0;
  int64_t rss_after_warmup = 0;
  int blocks = 0;
  while (true) {
    const int64_t n = reader.read(block.data(), static_cast<int64_t>(block.size()));
    if (n == 0) break;
    ASSERT_GT(n, 0);
    for (int64_t i = 0; i < n; ++i) peak = std::max(peak, std::abs(block[static_cast<size_t>(i)]));
    total += n;
    if (++blocks == 100) rss_after_warmup = rss_bytes();
  }
  EXPECT_EQ(total, frames);
  EXPECT_EQ(peak, 0.0f);
  // Reading 2.3 GB worth of float samples grew the process by less than 16 MB (page cache is not RSS).
  EXPECT_LT(rss_bytes() - rss_after_warmup, 16 << 20);
}

TEST(Decode, ReadInAnyBlockSizeGivesTheSameSamples) {
  REQUIRE_ENCODER("libmp3lame");
  TempDir dir;
  const std::string mp3 = dir.file("m.mp3"), wav = dir.file("w.wav");
  ASSERT_TRUE(
      shell("ffmpeg -nostdin -y -f lavfi -i 'sine=frequency=440:sample_rate=16000:duration=1' -c:a libmp3lame -ac 2 '" +
                mp3 + "'",
            dir));
  write_bytes(wav, int16_wav(std::vector<int16_t>(40000, 77), 2, 16000));
  for (const auto& path : {mp3, wav}) {
    const auto whole = decode_audio(path).samples;
    AudioReader reader(path);
    std::vector<float> streamed, block(5000);
    const int64_t sizes[] = {1, 3, 1000, 4999, 17};
    for (int i = 0;; ++i) {
      const int64_t n = reader.read(block.data(), sizes[i % 5]);
      if (n == 0) break;
      ASSERT_LE(n, sizes[i % 5]);
      streamed.insert(streamed.end(), block.begin(), block.begin() + n);
    }
    EXPECT_EQ(streamed, whole) << path;
  }
}

}  // namespace
}  // namespace unirep::modalities
