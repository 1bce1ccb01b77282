#include "modalities/audio/wav_writer.h"

#include <sndfile.h>

#include <cstdio>
#include <stdexcept>
#include <unistd.h>

namespace unirep::modalities {

void write_wav(const std::string& path, const std::vector<float>& samples, int sample_rate) {
  const std::string temp = path + ".tmp-" + std::to_string(getpid());
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(temp.c_str(), SFM_WRITE, &info);
  if (!f) throw std::runtime_error(path + ": cannot write WAV: " + sf_strerror(nullptr));
  // Clip instead of wrapping around when a sample leaves [-1, 1].
  sf_command(f, SFC_SET_CLIPPING, nullptr, SF_TRUE);
  const sf_count_t written = sf_write_float(f, samples.data(), static_cast<sf_count_t>(samples.size()));
  const int close_error = sf_close(f);
  if (written != static_cast<sf_count_t>(samples.size()) || close_error != 0) {
    std::remove(temp.c_str());
    throw std::runtime_error(path + ": writing WAV data failed");
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    throw std::runtime_error(path + ": cannot move the finished WAV into place");
  }
}

}  // namespace unirep::modalities
