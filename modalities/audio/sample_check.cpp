#include "modalities/audio/sample_check.h"

#include <cmath>
#include <sstream>

namespace unirep::modalities {

std::optional<BadSample> find_bad_sample(const float* interleaved, int64_t frames, int channels, int64_t first_frame) {
  const int64_t n = frames * channels;
  for (int64_t i = 0; i < n; ++i)
    if (!(std::abs(interleaved[i]) <= kMaxSampleMagnitude))  // false for NaN too
      return BadSample{first_frame + i / channels, static_cast<int>(i % channels), interleaved[i]};
  return std::nullopt;
}

std::string describe_bad_sample(const BadSample& bad, int sample_rate, int channels) {
  std::ostringstream s;
  s << "sample " << bad.frame;
  if (channels > 1) s << " of channel " << bad.channel + 1;
  if (sample_rate > 0) {
    s.setf(std::ios::fixed);
    s.precision(3);
    s << " (" << static_cast<double>(bad.frame) / sample_rate << " s in)";
    s.unsetf(std::ios::fixed);
  }
  s.precision(6);
  s << " is ";
  if (std::isnan(bad.value))
    s << "nan";  // not "-nan", whatever its sign bit
  else
    s << bad.value;
  s << ": audio samples must be finite and within [-" << kMaxSampleMagnitude << ", " << kMaxSampleMagnitude
    << "] (float audio spans [-1, 1])";
  return s.str();
}

}  // namespace unirep::modalities
