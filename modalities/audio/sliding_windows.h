#pragma once
// Long recordings as a sequence of model-sized windows. The keyword model sees target_frames
// frames (128 x 10 ms + the 15 ms frame tail = 1.295 s at 16 kHz); a longer recording is cut into
// windows of that many samples every `hop` samples, fed as it streams in, so memory stays bounded
// whatever the length. A recording shorter than one window gives one (short) window, which the
// backbone input pads like any short clip. The last window is aligned to the end so the tail of
// the recording is covered.
#include <cstdint>
#include <functional>
#include <vector>

namespace unirep::modalities {

// Samples one window needs for `frames` fbank frames (snip_edges): (frames - 1) * shift + length.
int64_t samples_for_frames(int64_t frames, int64_t frame_shift, int64_t frame_length);

class SlidingWindows {
 public:
  // `on_window(start_sample, samples)` receives each window in order.
  using Callback = std::function<void(int64_t, const std::vector<float>&)>;
  SlidingWindows(int64_t window, int64_t hop, Callback on_window);

  void push(const float* samples, int64_t n);
  // Emits what is still uncovered (an end-aligned last window, or the one short window).
  void finish();
  int64_t windows_emitted() const { return emitted_; }

 private:
  void trim();

  int64_t window_, hop_;
  Callback on_window_;
  std::vector<float> buffer_;  // samples from buffer_start_ on
  int64_t buffer_start_ = 0;   // absolute index of buffer_[0]
  int64_t next_start_ = 0;     // absolute start of the next window
  int64_t total_ = 0;
  int64_t last_end_ = 0;  // absolute end of the last emitted window
  int64_t emitted_ = 0;
};

}  // namespace unirep::modalities
