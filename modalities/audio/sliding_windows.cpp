#include "modalities/audio/sliding_windows.h"

#include <algorithm>
#include <stdexcept>

namespace unirep::modalities {

int64_t samples_for_frames(int64_t frames, int64_t frame_shift, int64_t frame_length) {
  return frames <= 0 ? 0 : (frames - 1) * frame_shift + frame_length;
}

SlidingWindows::SlidingWindows(int64_t window, int64_t hop, Callback on_window)
    : window_(window), hop_(hop), on_window_(std::move(on_window)) {
  if (window <= 0 || hop <= 0) throw std::invalid_argument("sliding windows need a positive window and hop");
}

void SlidingWindows::push(const float* samples, int64_t n) {
  buffer_.insert(buffer_.end(), samples, samples + n);
  total_ += n;
  while (next_start_ + window_ <= total_) {
    const auto begin = buffer_.begin() + (next_start_ - buffer_start_);
    std::vector<float> w(begin, begin + window_);
    on_window_(next_start_, w);
    ++emitted_;
    last_end_ = next_start_ + window_;
    next_start_ += hop_;
    trim();
  }
}

void SlidingWindows::finish() {
  if (emitted_ == 0) {
    if (total_ > 0) {
      on_window_(0, buffer_);
      ++emitted_;
    }
    return;
  }
  if (last_end_ >= total_) return;
  // An end-aligned last window: trim() always keeps the last `window_` samples for it.
  const auto begin = buffer_.end() - window_;
  std::vector<float> w(begin, buffer_.end());
  on_window_(total_ - window_, w);
  ++emitted_;
  last_end_ = total_;
}

void SlidingWindows::trim() {
  // Keep what the next window or an end-aligned last window may need; nothing older.
  const int64_t keep_from = std::max(buffer_start_, std::min(next_start_, total_ - window_));
  buffer_.erase(buffer_.begin(), buffer_.begin() + (keep_from - buffer_start_));
  buffer_start_ = keep_from;
}

}  // namespace unirep::modalities
