#include "modalities/audio/audio_input.h"

#include "modalities/audio/fbank.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace unirep::modalities {

at::Tensor waveform_to_fbank(const std::vector<float>& samples, const AudioInputOptions& options) {
  // The official loader subtracts the clip's mean before the filterbank.
  double sum = 0;
  for (float s : samples) sum += s;
  const float mean = samples.empty() ? 0.0f : static_cast<float>(sum / static_cast<double>(samples.size()));
  std::vector<float> centred(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) centred[i] = samples[i] - mean;
  auto fo = options.fbank;
  fo.frame_opts.samp_freq = static_cast<float>(options.sample_rate);
  // One Fbank per thread and setting: its tables are built once, not per clip.
  thread_local std::unique_ptr<Fbank> cached;
  thread_local std::string cached_key;
  const std::string key = to_json(options);
  if (!cached || cached_key != key) {
    cached = std::make_unique<Fbank>(fo);
    cached_key = key;
  }
  return cached->compute(centred.data(), static_cast<int64_t>(centred.size()));
}

at::Tensor fbank_to_input(const at::Tensor& fbank, const AudioInputOptions& options) {
  TORCH_CHECK(fbank.dim() == 2, "fbank_to_input expects frames x bins");
  const int64_t frames = fbank.size(0), bins = fbank.size(1), target = options.target_frames;
  auto padded = at::zeros({target, bins}, at::kFloat);  // padding is 0.0 in the log domain
  const int64_t keep = std::min(frames, target);
  if (keep > 0) padded.narrow(0, 0, keep).copy_(fbank.narrow(0, 0, keep));
  padded.sub_(options.norm_mean).div_(2.0 * options.norm_std);
  return padded.t().unsqueeze(0).contiguous();  // 1 x mel (height) x time (width)
}

at::Tensor waveform_to_input(const std::vector<float>& samples, const AudioInputOptions& options) {
  return fbank_to_input(waveform_to_fbank(samples, options), options);
}

namespace {

std::string number_text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void require(bool ok, const char* field, const char* rule, double value) {
  if (!ok)
    throw std::invalid_argument(std::string("AudioInputOptions.") + field + " must be " + rule + ", got " +
                                number_text(value));
}

}  // namespace

void check_audio_input_options(const AudioInputOptions& o) {
  require(o.sample_rate > 0, "sample_rate", "positive", o.sample_rate);
  require(o.target_frames > 0, "target_frames", "positive", o.target_frames);
  require(std::isfinite(o.norm_mean), "norm_mean", "finite", o.norm_mean);
  require(std::isfinite(o.norm_std) && o.norm_std > 0, "norm_std", "positive and finite", o.norm_std);
  const auto& f = o.fbank.frame_opts;
  const auto& m = o.fbank.mel_opts;
  require(std::isfinite(f.frame_shift_ms) && f.frame_shift_ms > 0, "fbank.frame_shift_ms", "positive and finite",
          f.frame_shift_ms);
  require(std::isfinite(f.frame_length_ms) && f.frame_length_ms > 0, "fbank.frame_length_ms", "positive and finite",
          f.frame_length_ms);
  const std::pair<const char*, float> finite[] = {{"fbank.dither", f.dither},
                                                  {"fbank.preemph_coeff", f.preemph_coeff},
                                                  {"fbank.blackman_coeff", f.blackman_coeff},
                                                  {"fbank.low_freq", m.low_freq},
                                                  {"fbank.high_freq", m.high_freq},
                                                  {"fbank.energy_floor", o.fbank.energy_floor}};
  for (const auto& [field, value] : finite) require(std::isfinite(value), field, "finite", value);
}

std::string to_json(const AudioInputOptions& o) {
  const auto& f = o.fbank.frame_opts;
  const auto& m = o.fbank.mel_opts;
  nlohmann::json j = {{"sample_rate", o.sample_rate},
                      {"target_frames", o.target_frames},
                      {"norm_mean", o.norm_mean},
                      {"norm_std", o.norm_std},
                      {"fbank",
                       {{"frame_shift_ms", f.frame_shift_ms},
                        {"frame_length_ms", f.frame_length_ms},
                        {"dither", f.dither},
                        {"preemph_coeff", f.preemph_coeff},
                        {"remove_dc_offset", f.remove_dc_offset},
                        {"window_type", f.window_type},
                        {"round_to_power_of_two", f.round_to_power_of_two},
                        {"blackman_coeff", f.blackman_coeff},
                        {"snip_edges", f.snip_edges},
                        {"num_mel_bins", m.num_bins},
                        {"low_freq", m.low_freq},
                        {"high_freq", m.high_freq},
                        {"use_energy", o.fbank.use_energy},
                        {"energy_floor", o.fbank.energy_floor},
                        {"raw_energy", o.fbank.raw_energy},
                        {"htk_compat", o.fbank.htk_compat},
                        {"use_log_fbank", o.fbank.use_log_fbank},
                        {"use_power", o.fbank.use_power},
                        {"subtract_mean", o.fbank.subtract_mean}}}};
  return j.dump();
}

AudioInputOptions audio_input_options_from_json(const std::string& text) {
  AudioInputOptions o;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("audio input options: not valid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) throw std::invalid_argument("audio input options must be a JSON object");
  auto& f = o.fbank.frame_opts;
  auto& m = o.fbank.mel_opts;
  auto& b = o.fbank;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& k = it.key();
    const auto& v = it.value();
    try {
      if (k == "sample_rate")
        o.sample_rate = v.get<int>();
      else if (k == "target_frames")
        o.target_frames = v.get<int>();
      else if (k == "norm_mean")
        o.norm_mean = v.get<double>();
      else if (k == "norm_std")
        o.norm_std = v.get<double>();
      else if (k == "fbank") {
        if (!v.is_object()) throw std::invalid_argument("audio input option 'fbank' must be an object");
        for (auto fit = v.begin(); fit != v.end(); ++fit) {
          const auto& fk = fit.key();
          const auto& fv = fit.value();
          if (fk == "frame_shift_ms")
            f.frame_shift_ms = fv.get<float>();
          else if (fk == "frame_length_ms")
            f.frame_length_ms = fv.get<float>();
          else if (fk == "dither")
            f.dither = fv.get<float>();
          else if (fk == "preemph_coeff")
            f.preemph_coeff = fv.get<float>();
          else if (fk == "remove_dc_offset")
            f.remove_dc_offset = fv.get<bool>();
          else if (fk == "window_type")
            f.window_type = fv.get<std::string>();
          else if (fk == "round_to_power_of_two")
            f.round_to_power_of_two = fv.get<bool>();
          else if (fk == "blackman_coeff")
            f.blackman_coeff = fv.get<float>();
          else if (fk == "snip_edges")
            f.snip_edges = fv.get<bool>();
          else if (fk == "num_mel_bins")
            m.num_bins = fv.get<int>();
          else if (fk == "low_freq")
            m.low_freq = fv.get<float>();
          else if (fk == "high_freq")
            m.high_freq = fv.get<float>();
          else if (fk == "use_energy")
            b.use_energy = fv.get<bool>();
          else if (fk == "energy_floor")
            b.energy_floor = fv.get<float>();
          else if (fk == "raw_energy")
            b.raw_energy = fv.get<bool>();
          else if (fk == "htk_compat")
            b.htk_compat = fv.get<bool>();
          else if (fk == "use_log_fbank")
            b.use_log_fbank = fv.get<bool>();
          else if (fk == "use_power")
            b.use_power = fv.get<bool>();
          else if (fk == "subtract_mean")
            b.subtract_mean = fv.get<bool>();
          else
            throw std::invalid_argument("unknown audio fbank option '" + fk + "'");
        }
      } else {
        throw std::invalid_argument("unknown audio input option '" + k + "'");
      }
    } catch (const nlohmann::json::exception&) {
      throw std::invalid_argument("audio input option '" + k + "' has the wrong type");
    }
  }
  check_audio_input_options(o);
  return o;
}

}  // namespace unirep::modalities
