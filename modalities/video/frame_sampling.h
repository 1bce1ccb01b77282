#pragma once
// Which frames of an n-frame video the official pipeline (VideoMAE v2's VideoClsDataset as
// UniRepLKNet uses it, docs/video.md) reads, with its numpy arithmetic reproduced exactly
// (linspace in double, clip, truncation to int).
#include <cstdint>
#include <random>
#include <vector>

namespace unirep::modalities {

struct ClipSampling {
  int64_t clip_len = 16;       // frames per clip
  int64_t sampling_rate = 4;   // the window is clip_len x sampling_rate frames
  int64_t temporal_views = 5;  // test mode
  int64_t spatial_views = 3;   // test mode
};

// Validation mode: clip_len indices by linspace over the centred window of clip_len x rate frames;
// for short videos (n <= that window) n / rate indices over the whole video, padded with the last.
std::vector<int64_t> validation_indices(int64_t n, const ClipSampling& s = {});

// Training mode: as validation, but the window ends at a uniform random frame in [window, n).
std::vector<int64_t> training_indices(int64_t n, const ClipSampling& s, std::mt19937_64& rng);

// Test mode: every rate-th frame of the whole video (0, rate, 2 rate, ...), the last repeated up to
// clip_len. The temporal views are clip_len-frame runs of these, starting at test_view_start.
std::vector<int64_t> test_indices(int64_t n, const ClipSampling& s = {});
// Start of temporal view c (0..temporal_views-1) within `sampled` test frames:
// int(c * max((sampled - clip_len) / (temporal_views - 1), 0)).
int64_t temporal_view_start(int64_t sampled, int64_t c, const ClipSampling& s = {});
// Start of spatial view k along the long side: int(k * (long - short) / (spatial_views - 1)).
int64_t spatial_view_start(int64_t long_side, int64_t short_side, int64_t k, const ClipSampling& s = {});

}  // namespace unirep::modalities
