#pragma once
// The Kaldi filterbank computed as samples arrive (kaldi-native-fbank's OnlineFbank): frame t
// appears as soon as its last sample has been accepted, and equals row t of Fbank::compute on all
// the samples so far, bit for bit (docs/audio.md, "Streaming"). Push blocks of any size, down to one
// sample; each frame is computed once. Frames are numbered from the start of the stream; the caller
// drops the ones it no longer needs with discard_frames_before(), so memory stays bounded.
//
// Streaming needs what the official front end uses: snip_edges (a frame never waits for the end of
// the input), no dither and no per-utterance mean subtraction; other options are
// std::invalid_argument at construction.
#include "modalities/audio/fbank.h"

#include <cstdint>
#include <deque>
#include <vector>

namespace unirep::modalities {

class OnlineFbank {
 public:
  explicit OnlineFbank(const FbankOptions& options = {});

  void accept_waveform(const float* samples, int64_t n);
  // Marks the end of the input; later accept_waveform calls are std::logic_error. With snip_edges
  // no frame is left to compute, so this only closes the stream.
  void input_finished();
  bool is_finished() const { return finished_; }

  int64_t num_frames_ready() const { return first_kept_ + static_cast<int64_t>(rows_.size()); }
  int64_t first_kept_frame() const { return first_kept_; }
  int64_t dim() const { return dim_; }
  // Frame t (first_kept_frame() <= t < num_frames_ready()), dim() floats.
  const float* frame(int64_t t) const;
  void discard_frames_before(int64_t t);
  // Back to a new stream's state (the options are kept).
  void reset();

  const Fbank& fbank() const { return fbank_; }

 private:
  Fbank fbank_;
  int64_t dim_ = 0;
  std::vector<float> pending_;           // samples from the start of the next frame on
  std::deque<std::vector<float>> rows_;  // frames first_kept_ .. num_frames_ready() - 1
  int64_t first_kept_ = 0;
  bool finished_ = false;
};

}  // namespace unirep::modalities
