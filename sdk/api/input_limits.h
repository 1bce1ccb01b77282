#pragma once
// The largest inputs the API takes from callers' buffers (docs/api.md, Input limits). Each is
// checked before anything is allocated, so a wrong count (a size_t that wrapped, a garbage width)
// is a kInvalidArgument naming the argument instead of a failed multi-gigabyte allocation. They
// match what the file readers accept for the same modality (pixels per image: the image decoder's
// own limit, modalities::max_image_pixels).
#include "modalities/audio/decode.h"
#include "modalities/input/input_file.h"

#include <cstddef>
#include <cstdint>

namespace unirep::api_detail {

// Points per cloud: 16.7 million, more than a point file within the readers' 256 MiB cap holds.
inline constexpr size_t kMaxPoints = size_t{1} << 24;
// Seconds of audio samples: what the audio decoder reads from one file.
inline const double kMaxAudioSeconds = modalities::DecodeOptions{}.max_seconds;
// Values in a forecast history (rows x columns): as many floats as the readers' input cap holds.
inline constexpr size_t kMaxHistoryValues = modalities::kDefaultMaxInputBytes / sizeof(float);
// Each dimension of a backbone input shape (N, C, H, W), and all of them together.
inline constexpr int64_t kMaxShapeDimension = int64_t{1} << 20;
inline constexpr int64_t kMaxShapeValues = int64_t{1} << 34;
// Sample rates of an app's audio buffers: the resampler reaches a 16 kHz model from 1000 Hz, and
// the decoders read files up to 768000 Hz.
inline constexpr int kMinSampleRate = 1000;
inline constexpr int kMaxSampleRate = 768000;
// Inputs per forward pass (RuntimeOptions::batch_size): official evaluation uses 8 to 128.
inline constexpr int kMaxBatchSize = 4096;

}  // namespace unirep::api_detail
