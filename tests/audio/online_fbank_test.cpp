// Streaming filterbank frames against the offline ones on the same samples, whatever the chunking
// (docs/audio.md, "Streaming").
#include "modalities/audio/fbank.h"
#include "modalities/audio/online_fbank.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

using unirep::modalities::Fbank;
using unirep::modalities::FbankOptions;
using unirep::modalities::OnlineFbank;

namespace {

// A voiced sound over noise with a DC offset: every stage of the front end has work to do.
std::vector<float> test_signal(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.02f);
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    x[static_cast<size_t>(i)] = 0.05f + 0.3f * std::sin(0.07f * i) * std::sin(0.0011f * i) + noise(rng);
  return x;
}

// Pushes `x` in chunks of the given sizes (cycled) and returns all frames as frames x dim.
at::Tensor stream_frames(OnlineFbank& online, const std::vector<float>& x, const std::vector<int64_t>& chunks) {
  std::vector<float> out;
  int64_t pos = 0, c = 0;
  const auto n = static_cast<int64_t>(x.size());
  while (pos < n) {
    const int64_t len = std::min(chunks[static_cast<size_t>(c++ % static_cast<int64_t>(chunks.size()))], n - pos);
    online.accept_waveform(x.data() + pos, len);
    pos += len;
    for (int64_t t = online.first_kept_frame(); t < online.num_frames_ready(); ++t)
      out.insert(out.end(), online.frame(t), online.frame(t) + online.dim());
    online.discard_frames_before(online.num_frames_ready());
  }
  online.input_finished();
  return at::from_blob(out.data(), {static_cast<int64_t>(out.size()) / online.dim(), online.dim()}, at::kFloat).clone();
}

}  // namespace

TEST(OnlineFbank, FramesEqualTheOfflineOnesWhateverTheChunking) {
  const auto x = test_signal(16000 * 3 + 123, 7);
  Fbank offline;
  const auto expected = offline.compute(x.data(), static_cast<int64_t>(x.size()));
  for (const std::vector<int64_t>& chunks :
       std::vector<std::vector<int64_t>>{{1}, {7}, {13, 1, 997}, {160}, {320}, {401}, {48000}, {100000}}) {
    OnlineFbank online;
    const auto got = stream_frames(online, x, chunks);
    ASSERT_EQ(got.sizes(), expected.sizes()) << "first chunk " << chunks[0];
    EXPECT_LE((got - expected).abs().max().item<float>(), 1e-4f) << "first chunk " << chunks[0];
  }
}

TEST(OnlineFbank, FramesAppearWhenTheirLastSampleArrives) {
  OnlineFbank online;
  const auto x = test_signal(1000, 3);
  online.accept_waveform(x.data(), 399);
  EXPECT_EQ(online.num_frames_ready(), 0);
  online.accept_waveform(x.data() + 399, 1);
  EXPECT_EQ(online.num_frames_ready(), 1);
  online.accept_waveform(x.data() + 400, 159);
  EXPECT_EQ(online.num_frames_ready(), 1);
  online.accept_waveform(x.data() + 559, 1);
  EXPECT_EQ(online.num_frames_ready(), 2);
  online.accept_waveform(x.data(), 0);  // an empty push changes nothing
  EXPECT_EQ(online.num_frames_ready(), 2);
}

TEST(OnlineFbank, DiscardedFramesAreGoneAndResetStartsOver) {
  OnlineFbank online;
  const auto x = test_signal(16000, 5);
  online.accept_waveform(x.data(), 16000);
  EXPECT_EQ(online.num_frames_ready(), 98);
  online.discard_frames_before(90);
  EXPECT_EQ(online.first_kept_frame(), 90);
  EXPECT_THROW(online.frame(89), std::out_of_range);
  EXPECT_NO_THROW(online.frame(97));
  const std::vector<float> frame97(online.frame(97), online.frame(97) + online.dim());
  online.input_finished();
  EXPECT_THROW(online.accept_waveform(x.data(), 1), std::logic_error);
  online.reset();
  EXPECT_EQ(online.num_frames_ready(), 0);
  online.accept_waveform(x.data(), 16000);
  EXPECT_EQ(std::vector<float>(online.frame(97), online.frame(97) + online.dim()), frame97);
}

TEST(OnlineFbank, RefusesOptionsThatNeedTheWholeInput) {
  FbankOptions no_snip;
  no_snip.frame_opts.snip_edges = false;
  EXPECT_THROW(OnlineFbank{no_snip}, std::invalid_argument);
  FbankOptions dither;
  dither.frame_opts.dither = 1.0f;
  EXPECT_THROW(OnlineFbank{dither}, std::invalid_argument);
  FbankOptions mean;
  mean.subtract_mean = true;
  EXPECT_THROW(OnlineFbank{mean}, std::invalid_argument);
}
