#include "sdk/audio/audio_dataset.h"

#include "models/io/format_error.h"
#include "modalities/audio/background_noise.h"
#include "modalities/audio/decode.h"
#include "modalities/audio/resample.h"

#include <ATen/ATen.h>

#include <numeric>
#include <stdexcept>
#include <string>

namespace unirep::sdk {
std::vector<float> load_waveform(const std::string& path, int sample_rate) {
  auto decoded = modalities::decode_audio(path);
  if (decoded.sample_rate == sample_rate) return std::move(decoded.samples);
  try {
    return modalities::resample(decoded.samples, decoded.sample_rate, sample_rate);
  } catch (const std::invalid_argument& e) {  // a rate the resampler cannot convert: the file's problem
    throw io::FormatError(path, e.what());
  }
}

AudioDataset::AudioDataset(std::vector<modalities::AudioItem> items, size_t num_labels,
                           modalities::AudioInputOptions input, std::optional<modalities::AudioAugmentOptions> augment,
                           uint64_t seed)
    : items_(std::move(items)),
      num_labels_(num_labels),
      input_(std::move(input)),
      augment_(std::move(augment)),
      seed_(seed),
      cache_(items_.size()),
      reads_(new std::atomic<uint32_t>[items_.size()]) {
  modalities::check_audio_input_options(input_);
  if (augment_ && !(augment_->bg_noise_min_snr_db <= augment_->bg_noise_max_snr_db))
    throw std::invalid_argument("background noise: the lowest SNR (" + std::to_string(augment_->bg_noise_min_snr_db) +
                                " dB) exceeds the highest (" + std::to_string(augment_->bg_noise_max_snr_db) + " dB)");
  for (size_t i = 0; i < items_.size(); ++i) {
    reads_[i].store(0);
    for (int label : items_[i].labels)
      if (label < 0 || static_cast<size_t>(label) >= num_labels_)
        throw std::invalid_argument(items_[i].path + ": label index out of range");
  }
}

std::shared_ptr<const std::vector<float>> AudioDataset::waveform(size_t index) const {
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_[index]) return cache_[index];
  }
  auto w = std::make_shared<const std::vector<float>>(load_waveform(items_[index].path, input_.sample_rate));
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (!cache_[index]) cache_[index] = w;
  return cache_[index];
}

Example AudioDataset::get(size_t index) const {
  auto target = at::zeros({static_cast<int64_t>(num_labels_)});
  auto set_target = [&](size_t i, float weight) {
    for (int label : items_[i].labels) target[label] += weight;
  };
  auto wave = waveform(index);
  if (!augment_) {
    set_target(index, 1.0f);
    return {modalities::waveform_to_input(*wave, input_), target};
  }
  const auto& a = *augment_;
  const uint32_t read = reads_[index].fetch_add(1);
  std::seed_seq seq{static_cast<uint32_t>(seed_), static_cast<uint32_t>(seed_ >> 32), static_cast<uint32_t>(index),
                    static_cast<uint32_t>(static_cast<uint64_t>(index) >> 32), read};
  std::mt19937_64 rng(seq);
  std::vector<float> samples;
  auto speed_changed = [&](const std::vector<float>& w) {
    if (a.speed <= 0) return w;
    const double f = std::uniform_real_distribution<double>(1.0 - a.speed, 1.0 + a.speed)(rng);
    return modalities::change_speed(w, input_.sample_rate, f);
  };
  if (a.mixup > 0 && items_.size() > 1 && std::uniform_real_distribution<double>(0, 1)(rng) < a.mixup) {
    const size_t other = std::uniform_int_distribution<size_t>(0, items_.size() - 1)(rng);
    const double lambda = modalities::sample_mixup_lambda(a.mixup_alpha, rng);
    samples = modalities::mix_waveforms(speed_changed(*wave), speed_changed(*waveform(other)), lambda);
    set_target(index, static_cast<float>(lambda));
    set_target(other, static_cast<float>(1.0 - lambda));
  } else {
    samples = speed_changed(*wave);
    set_target(index, 1.0f);
  }
  if (a.bg_noise > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < a.bg_noise) {
    const double snr_db = std::uniform_real_distribution<double>(a.bg_noise_min_snr_db, a.bg_noise_max_snr_db)(rng);
    const double speech_rms = modalities::active_speech_rms(samples, input_.sample_rate);
    modalities::mix_at_snr(samples, modalities::make_random_noise(samples.size(), input_.sample_rate, rng), speech_rms,
                           snr_db);
  }
  auto input = modalities::waveform_to_input(samples, input_);
  // The official masks fill 0.0 before normalization; after it that value is:
  const float fill = static_cast<float>((0.0 - input_.norm_mean) / (2.0 * input_.norm_std));
  modalities::random_equalization(input, a.eq_db, input_.norm_std, fill, rng);  // the padding is `fill` too
  modalities::spec_augment(input, a.freq_mask, a.time_mask, fill, rng);
  if (a.noise) modalities::add_noise_and_roll(input, a.max_roll, rng);
  return {input, target};
}

}  // namespace unirep::sdk
