#include "modalities/audio/online_fbank.h"

#include <ATen/ATen.h>

#include <stdexcept>
#include <string>

namespace unirep::modalities {
namespace {

const FbankOptions& check_streamable(const FbankOptions& o) {
  if (!o.frame_opts.snip_edges)
    throw std::invalid_argument("OnlineFbank: snip_edges=false needs the end of the input before its first frame");
  if (o.frame_opts.dither != 0)
    throw std::invalid_argument("OnlineFbank: dither must be 0 (a stream has no reproducible dither seed)");
  if (o.subtract_mean) throw std::invalid_argument("OnlineFbank: subtract_mean needs the whole utterance");
  return o;
}

}  // namespace

OnlineFbank::OnlineFbank(const FbankOptions& options) : fbank_(check_streamable(options)), dim_(fbank_.num_bins()) {}

void OnlineFbank::accept_waveform(const float* samples, int64_t n) {
  if (finished_) throw std::logic_error("OnlineFbank: samples accepted after input_finished()");
  if (n <= 0) return;
  pending_.insert(pending_.end(), samples, samples + n);
  const int64_t available = static_cast<int64_t>(pending_.size());
  const int64_t frames = fbank_.num_frames(available);
  if (frames == 0) return;
  // The same computation as the offline front end on the same samples: frame k of `pending_` is
  // frame num_frames_ready() + k of the stream, since `pending_` starts where that frame starts.
  const auto rows = fbank_.compute(pending_.data(), available);
  const float* p = rows.data_ptr<float>();
  for (int64_t k = 0; k < frames; ++k) rows_.emplace_back(p + k * dim_, p + (k + 1) * dim_);
  pending_.erase(pending_.begin(), pending_.begin() + frames * fbank_.window_shift());
}

void OnlineFbank::input_finished() {
  finished_ = true;
}

const float* OnlineFbank::frame(int64_t t) const {
  if (t < first_kept_ || t >= num_frames_ready())
    throw std::out_of_range("OnlineFbank: frame " + std::to_string(t) + " is not kept (frames " +
                            std::to_string(first_kept_) + " to " + std::to_string(num_frames_ready() - 1) + ")");
  return rows_[static_cast<size_t>(t - first_kept_)].data();
}

void OnlineFbank::discard_frames_before(int64_t t) {
  while (first_kept_ < t && !rows_.empty()) {
    rows_.pop_front();
    ++first_kept_;
  }
}

void OnlineFbank::reset() {
  pending_.clear();
  rows_.clear();
  first_kept_ = 0;
  finished_ = false;
}

}  // namespace unirep::modalities
