// Keyword streams through the app-facing C++ and C APIs: the same events as the SDK's stream,
// status codes for bad pushes, events handed out in order within the caller's capacity.
#include <unirep/unirep.h>
#include <unirep/unirep.hpp>

#include <support/test_models.h>

#include <support/test_support.h>

#include <cmath>
#include <limits>
#include <vector>

namespace {

std::vector<float> tones(size_t n) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i)
    x[i] = ((i / 8000) % 2 ? 0.3f : 0.02f) * std::sin(0.05f * static_cast<float>(i) * (1 + (i / 16000) % 3));
  return x;
}

std::vector<unirep::KeywordEvent> cpp_events(const std::string& model, const std::vector<float>& x) {
  const unirep::KeywordSpotter spotter(model);
  unirep::KeywordStreamOptions o;
  o.threshold = 0.0f;  // every decision qualifies: the refractory period spaces the events
  auto stream = spotter.create_stream(o);
  for (size_t pos = 0; pos < x.size(); pos += 320) {
    stream.accept_waveform(16000, x.data() + pos, std::min<size_t>(320, x.size() - pos));
    while (stream.is_ready()) stream.decode();
  }
  stream.input_finished();
  while (stream.is_ready()) stream.decode();
  return stream.take_events();
}

}  // namespace

TEST(KeywordStreamApi, CAndCppGiveTheSameEvents) {
  unirep::testing::TempDir d;
  const auto labels = unirep::testing::write_audio_model(d.file("kws.safetensors"));
  const auto x = tones(16000 * 5);
  const auto want = cpp_events(d.file("kws.safetensors"), x);
  ASSERT_GE(want.size(), 3u);

  unirep_keyword_spotter* spotter = nullptr;
  ASSERT_EQ(unirep_keyword_spotter_load(d.file("kws.safetensors").c_str(), nullptr, &spotter), UNIREP_OK)
      << unirep_last_error();
  ASSERT_EQ(unirep_keyword_spotter_num_labels(spotter), labels.size());
  EXPECT_EQ(unirep_keyword_spotter_label(spotter, 0), labels[0]);
  EXPECT_EQ(unirep_keyword_spotter_label(spotter, 99), nullptr);
  unirep_keyword_stream_options o{};
  o.threshold_is_set = 1;  // threshold 0 itself
  unirep_keyword_stream* stream = nullptr;
  ASSERT_EQ(unirep_keyword_stream_create(spotter, &o, &stream), UNIREP_OK) << unirep_last_error();
  std::vector<unirep_keyword_event> got;
  unirep_keyword_event events[2];
  size_t count = 0;
  for (size_t pos = 0; pos < x.size(); pos += 320) {
    ASSERT_EQ(
        unirep_keyword_stream_accept_waveform(stream, 16000, x.data() + pos, std::min<size_t>(320, x.size() - pos)),
        UNIREP_OK);
    while (unirep_keyword_stream_is_ready(stream)) ASSERT_EQ(unirep_keyword_stream_decode(stream), UNIREP_OK);
    do {  // a capacity of 2: the rest wait for the next call
      ASSERT_EQ(unirep_keyword_stream_get_events(stream, events, 2, &count), UNIREP_OK);
      got.insert(got.end(), events, events + count);
    } while (count == 2);
  }
  ASSERT_EQ(unirep_keyword_stream_input_finished(stream), UNIREP_OK);
  while (unirep_keyword_stream_is_ready(stream)) ASSERT_EQ(unirep_keyword_stream_decode(stream), UNIREP_OK);
  do {
    ASSERT_EQ(unirep_keyword_stream_get_events(stream, events, 2, &count), UNIREP_OK);
    got.insert(got.end(), events, events + count);
  } while (count == 2);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].index, want[i].index);
    EXPECT_STREQ(unirep_keyword_spotter_label(spotter, static_cast<size_t>(got[i].index)), want[i].keyword.c_str());
    EXPECT_NEAR(got[i].score, want[i].score, 1e-5);
    EXPECT_DOUBLE_EQ(got[i].time_s, want[i].time_s);
  }

  // Bad input: a status and a message, and the stream goes on.
  std::vector<float> bad(10, 0.0f);
  bad[3] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(unirep_keyword_stream_reset(stream), UNIREP_OK);
  EXPECT_EQ(unirep_keyword_stream_accept_waveform(stream, 16000, bad.data(), bad.size()),
            UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(unirep_last_error()).find("inf"), std::string::npos) << unirep_last_error();
  EXPECT_EQ(unirep_keyword_stream_accept_waveform(stream, 16000, x.data(), 100), UNIREP_OK);
  EXPECT_EQ(unirep_keyword_stream_accept_waveform(stream, 44100, x.data(), 100), UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(unirep_keyword_stream_accept_waveform(stream, 16000, nullptr, 100), UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(unirep_keyword_stream_accept_waveform(stream, 16000, nullptr, 0), UNIREP_OK);  // empty: nothing
  EXPECT_EQ(unirep_keyword_stream_get_events(stream, nullptr, 0, &count), UNIREP_OK);
  EXPECT_EQ(unirep_keyword_stream_get_events(stream, nullptr, 4, &count), UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(unirep_keyword_stream_decode(nullptr), UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(unirep_keyword_stream_is_ready(nullptr), 0);
  unirep_keyword_stream_options unknown{};
  const char* label = "maybe";
  const float value = 0.5f;
  unknown.num_thresholds = 1;
  unknown.threshold_labels = &label;
  unknown.threshold_values = &value;
  unirep_keyword_stream* other = nullptr;
  EXPECT_EQ(unirep_keyword_stream_create(spotter, &unknown, &other), UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(other, nullptr);
  EXPECT_NE(std::string(unirep_last_error()).find("maybe"), std::string::npos) << unirep_last_error();
  unirep_keyword_stream_free(stream);
  unirep_keyword_spotter_free(spotter);
  EXPECT_EQ(unirep_keyword_spotter_load(d.file("none.safetensors").c_str(), nullptr, &spotter),
            UNIREP_ERROR_FILE_NOT_FOUND);
}
