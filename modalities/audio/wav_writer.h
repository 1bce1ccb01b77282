#pragma once
// Writes mono float samples as a 16-bit PCM WAV file (atomically: temporary file, then rename).
#include <string>
#include <vector>

namespace unirep::modalities {

void write_wav(const std::string& path, const std::vector<float>& samples, int sample_rate);

}  // namespace unirep::modalities
