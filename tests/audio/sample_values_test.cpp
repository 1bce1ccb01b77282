// Sample values that are not audio (docs/audio.md, "Sample values"): float files holding NaN,
// infinities or absurd magnitudes, and float64 files beyond float32's range, are refused by both
// decoders naming the file and the first bad sample; headroom beyond +-1 passes unchanged. Files
// are written byte by byte (libsndfile) or made with ffmpeg (the FFmpeg decoder).
#include "modalities/audio/decode.h"
#include "modalities/audio/resample.h"
#include "modalities/audio/sample_check.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "support/test_support.h"

namespace unirep::modalities {
namespace {

using unirep::testing::TempDir;
using unirep::testing::write_bytes;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

void put_u16(std::string& s, uint16_t v) {
  s.append({static_cast<char>(v & 0xff), static_cast<char>(v >> 8)});
}
void put_u32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// An IEEE-float WAV (format tag 3) of 32- or 64-bit samples, interleaved.
template <typename T>
std::string float_wav(const std::vector<T>& interleaved, int channels, uint32_t rate) {
  const uint32_t bits = 8 * sizeof(T), bytes = static_cast<uint32_t>(interleaved.size() * sizeof(T));
  std::string h = "RIFF";
  put_u32(h, 36 + bytes);
  h += "WAVEfmt ";
  put_u32(h, 16);
  put_u16(h, 3);
  put_u16(h, static_cast<uint16_t>(channels));
  put_u32(h, rate);
  put_u32(h, rate * channels * bits / 8);
  put_u16(h, static_cast<uint16_t>(channels * bits / 8));
  put_u16(h, static_cast<uint16_t>(bits));
  h += "data";
  put_u32(h, bytes);
  std::string data(bytes, '\0');
  std::memcpy(data.data(), interleaved.data(), bytes);  // little-endian host
  return h + data;
}

template <typename T>
std::vector<T> quiet(size_t n) {
  std::vector<T> s(n);
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<T>(0.25 * std::sin(0.01 * static_cast<double>(i)));
  return s;
}

// decode_audio(path) must throw a message starting with the path and containing `needle`; reading
// block by block through AudioReader too.
void expect_refused(const std::string& path, const std::string& needle) {
  for (bool streaming : {false, true}) {
    try {
      if (streaming) {
        AudioReader r(path);
        std::vector<float> block(1000);
        while (r.read(block.data(), 1000) > 0) {
        }
      } else {
        decode_audio(path);
      }
      ADD_FAILURE() << "no error for " << path << (streaming ? " (streaming)" : "");
    } catch (const std::runtime_error& e) {
      const std::string m = e.what();
      EXPECT_EQ(m.rfind(path + ": ", 0), 0u) << m;
      EXPECT_NE(m.find(needle), std::string::npos) << "'" << needle << "' not in: " << m;
    }
  }
}

bool have_ffmpeg() {
  return std::system("ffmpeg -version >/dev/null 2>&1") == 0;
}

TEST(SampleValues, FloatWavWithNaNOrInfinityIsRefusedNamingTheSample) {
  TempDir d;
  auto s = quiet<float>(48000);
  s[40000] = kNaN;  // past the decoders' first blocks: the position counts across blocks
  write_bytes(d.file("nan.wav"), float_wav(s, 1, 16000));
  expect_refused(d.file("nan.wav"),
                 "sample 40000 (2.500 s in) is nan: audio samples must be finite and within [-1000, 1000]");
  s[40000] = 0;
  s[7] = -kInf;
  write_bytes(d.file("inf.wav"), float_wav(s, 1, 16000));
  expect_refused(d.file("inf.wav"), "sample 7 (0.000 s in) is -inf");
}

TEST(SampleValues, AbsurdMagnitudesAreRefusedHeadroomIsKept) {
  TempDir d;
  auto s = quiet<float>(16000);
  s[1600] = 3e38f;
  write_bytes(d.file("huge.wav"), float_wav(s, 1, 16000));
  expect_refused(d.file("huge.wav"), "sample 1600 (0.100 s in) is 3e+38");
  s[1600] = -1000.5f;
  write_bytes(d.file("over.wav"), float_wav(s, 1, 16000));
  expect_refused(d.file("over.wav"), "is -1000.5");
  // Up to the bound the file's own values come back (float formats allow headroom).
  s[1600] = -1000.0f;
  s[1601] = 2.5f;
  write_bytes(d.file("loud.wav"), float_wav(s, 1, 16000));
  EXPECT_EQ(decode_audio(d.file("loud.wav")).samples, s);
}

TEST(SampleValues, Float64BeyondFloat32IsRefused) {
  TempDir d;
  auto s = quiet<double>(16000);
  write_bytes(d.file("ok.wav"), float_wav(s, 1, 16000));
  EXPECT_EQ(decode_audio(d.file("ok.wav")).samples.size(), 16000u);
  s[321] = 1e300;  // float32 has no such value
  write_bytes(d.file("f64.wav"), float_wav(s, 1, 16000));
  expect_refused(d.file("f64.wav"), "sample 321 (0.020 s in) is inf");
}

TEST(SampleValues, ABadChannelCannotHideInTheDownMix) {
  TempDir d;
  auto s = quiet<float>(2 * 16000);
  s[2 * 500 + 1] = 3e38f;  // +3e38 and -3e38 average to 0
  s[2 * 500] = -3e38f;
  write_bytes(d.file("stereo.wav"), float_wav(s, 2, 16000));
  expect_refused(d.file("stereo.wav"), "sample 500 of channel 1 (0.031 s in) is -3e+38");
}

TEST(SampleValues, TheFfmpegDecoderChecksToo) {
  if (!have_ffmpeg()) GTEST_SKIP() << "ffmpeg is not installed";
  TempDir d;
  auto f = quiet<float>(16000);
  f[9001] = kNaN;
  write_bytes(d.file("raw.f32"), std::string(reinterpret_cast<const char*>(f.data()), f.size() * 4));
  auto g = quiet<double>(16000);
  g[123] = -1e300;
  write_bytes(d.file("raw.f64"), std::string(reinterpret_cast<const char*>(g.data()), g.size() * 8));
  // Matroska: a container libsndfile does not read, with the raw float samples copied in.
  ASSERT_EQ(std::system(("ffmpeg -nostdin -loglevel error -y -f f32le -ar 16000 -ac 1 -i '" + d.file("raw.f32") +
                         "' -c:a copy '" + d.file("nan.mka") + "'")
                            .c_str()),
            0);
  ASSERT_EQ(std::system(("ffmpeg -nostdin -loglevel error -y -f f64le -ar 16000 -ac 1 -i '" + d.file("raw.f64") +
                         "' -c:a copy '" + d.file("f64.mka") + "'")
                            .c_str()),
            0);
  ASSERT_EQ(AudioReader(d.file("nan.mka")).info().decoder, "ffmpeg");
  expect_refused(d.file("nan.mka"), "sample 9001 (0.563 s in) is nan");
  expect_refused(d.file("f64.mka"), "sample 123 (0.008 s in) is -inf");
}

TEST(SampleValues, FindBadSampleNamesFrameAndChannel) {
  const std::vector<float> ok = {0.f, 1.f, -1.f, 999.f};
  EXPECT_FALSE(find_bad_sample(ok.data(), 2, 2).has_value());
  const std::vector<float> bad = {0.f, 1.f, -1.f, kNaN};
  const auto b = find_bad_sample(bad.data(), 2, 2, 10);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->frame, 11);
  EXPECT_EQ(b->channel, 1);
  EXPECT_EQ(describe_bad_sample(*b, 0, 2).rfind("sample 11 of channel 2 is nan", 0), 0u)
      << describe_bad_sample(*b, 0, 2);
}

TEST(SampleValues, AnUnsupportedRateSaysWhichRatesAreSupported) {
  try {
    Resampler(10, 16000);
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "cannot resample 10 Hz to 16000 Hz: supported input rates for 16000 Hz are 63 to 4096000 Hz"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace unirep::modalities
