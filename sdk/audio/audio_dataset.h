#pragma once
// Labelled audio clips as a training-engine dataset: decode (any format), resample to the model's
// rate, optional waveform mixup, backbone input (official preprocessing), optional SpecAugment and
// noise/roll. Targets are K-vectors: one-hot (or multi-hot), mixed by mixup's lambda.
//
// Decoded waveforms are cached in memory after first use (a 1 s clip at 16 kHz is 64 KB), so later
// epochs skip decoding. Randomness is drawn from (seed, index, how many times this index was read),
// so a run is reproducible for a seed whatever the loader's thread timing.
#include "modalities/audio/audio_file_list.h"
#include "modalities/audio/audio_input.h"
#include "modalities/audio/augment.h"
#include "sdk/train/dataset.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace unirep::sdk {

class AudioDataset : public Dataset {
 public:
  // `augment` empty: evaluation (no randomness at all).
  AudioDataset(std::vector<modalities::AudioItem> items, size_t num_labels, modalities::AudioInputOptions input,
               std::optional<modalities::AudioAugmentOptions> augment = std::nullopt, uint64_t seed = 0);
  size_t size() const override { return items_.size(); }
  Example get(size_t index) const override;

  // Decoded, resampled waveform of clip `index` (cached).
  std::shared_ptr<const std::vector<float>> waveform(size_t index) const;

 private:
  std::vector<modalities::AudioItem> items_;
  size_t num_labels_;
  modalities::AudioInputOptions input_;
  std::optional<modalities::AudioAugmentOptions> augment_;
  uint64_t seed_;
  mutable std::mutex cache_mutex_;
  mutable std::vector<std::shared_ptr<const std::vector<float>>> cache_;
  std::unique_ptr<std::atomic<uint32_t>[]> reads_;
};

// Reads a whole file as the model expects it: mono, resampled to `sample_rate`.
std::vector<float> load_waveform(const std::string& path, int sample_rate);

}  // namespace unirep::sdk
