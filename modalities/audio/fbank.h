#pragma once
// Kaldi-compatible log-mel filterbank (what torchaudio.compliance.kaldi.fbank computes), the
// official UniRepLKNet audio front end (docs/audio.md). Options: fbank_options.h, named as in Kaldi.
//
// Per frame: extract (snip_edges), dither, remove DC, pre-emphasize, window, zero-pad to the FFT
// size, power spectrum, triangular mel filters, log. A Fbank object precomputes the window, the FFT
// tables and the sparse mel weights once; compute() is thread-safe (no shared mutable state).
#include "modalities/audio/fbank_options.h"

#include <ATen/Tensor.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace unirep::modalities {

class Fbank {
 public:
  explicit Fbank(const FbankOptions& options = {});
  ~Fbank();
  Fbank(Fbank&&) noexcept;
  Fbank& operator=(Fbank&&) noexcept;

  const FbankOptions& options() const;
  int64_t window_size() const;  // samples per frame
  int64_t window_shift() const;
  int64_t num_frames(int64_t num_samples) const;  // Kaldi's rule, per snip_edges
  int64_t num_bins() const;                       // mel bins (+1 with use_energy)

  // `samples` at options().frame_opts.samp_freq, in whatever scale the caller chose (the official
  // pipeline uses [-1, 1] after subtracting the clip's mean). Returns frames x bins float32.
  // Fewer samples than one frame give a 0 x bins tensor. `seed` drives dither when dither > 0.
  at::Tensor compute(const float* samples, int64_t n, uint64_t seed = 0) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unirep::modalities
