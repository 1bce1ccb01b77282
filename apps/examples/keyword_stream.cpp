// keyword_stream: keyword spotting as a device does it, on a WAV file read in 20 ms chunks.
//
//   keyword_stream keywords.safetensors recording.wav [threshold]
//
// A real app pushes what its audio callback delivers; here a WAV file (16-bit PCM or 32-bit float,
// any rate, any channel count: channels are averaged) stands in for the microphone. Each event
// prints as it is decided: "  1.90 s  yes  0.93  (1.02 - 1.51 s)".
#include <unirep/unirep.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Wav {
  int rate = 0, channels = 0, bits = 0, format = 0;  // format 1: PCM, 3: IEEE float
  std::vector<char> data;
};

uint32_t u32(const char* p) {
  return static_cast<uint32_t>(static_cast<unsigned char>(p[0])) |
         static_cast<uint32_t>(static_cast<unsigned char>(p[1])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(p[2])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(p[3])) << 24;
}
uint16_t u16(const char* p) {
  return static_cast<uint16_t>(static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[1]) << 8);
}

// A plain RIFF/WAVE reader: the fmt and data chunks, every size checked against the file.
Wav read_wav(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot be opened");
  const std::vector<char> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (file.size() < 12 || std::memcmp(file.data(), "RIFF", 4) != 0 || std::memcmp(file.data() + 8, "WAVE", 4) != 0)
    throw std::runtime_error(path + ": not a RIFF/WAVE file");
  Wav w;
  size_t pos = 12;
  while (pos + 8 <= file.size()) {
    const uint32_t size = u32(file.data() + pos + 4);
    if (size > file.size() - pos - 8) throw std::runtime_error(path + ": a chunk runs past the end of the file");
    const char* body = file.data() + pos + 8;
    if (std::memcmp(file.data() + pos, "fmt ", 4) == 0 && size >= 16) {
      w.format = u16(body);
      w.channels = u16(body + 2);
      w.rate = static_cast<int>(u32(body + 4));
      w.bits = u16(body + 14);
      if (w.format == 0xFFFE && size >= 26) w.format = u16(body + 24);  // WAVE_FORMAT_EXTENSIBLE
    } else if (std::memcmp(file.data() + pos, "data", 4) == 0) {
      w.data.assign(body, body + size);
    }
    pos += 8 + size + (size & 1);
  }
  const bool pcm16 = w.format == 1 && w.bits == 16, float32 = w.format == 3 && w.bits == 32;
  if (!(pcm16 || float32) || w.channels < 1 || w.rate <= 0)
    throw std::runtime_error(path + ": needs 16-bit PCM or 32-bit float samples");
  return w;
}

// Frame i of the file as one mono float sample.
float mono_sample(const Wav& w, size_t i) {
  float sum = 0;
  for (int c = 0; c < w.channels; ++c) {
    const size_t k = i * static_cast<size_t>(w.channels) + static_cast<size_t>(c);
    if (w.bits == 16) {
      int16_t v;
      std::memcpy(&v, w.data.data() + 2 * k, 2);
      sum += static_cast<float>(v) / 32768.0f;
    } else {
      float v;
      std::memcpy(&v, w.data.data() + 4 * k, 4);
      sum += v;
    }
  }
  return sum / static_cast<float>(w.channels);
}

void print_events(unirep::KeywordStream& stream) {
  while (stream.is_ready()) stream.decode();
  for (const auto& e : stream.take_events())
    std::printf("%6.2f s  %-8s %.3f  (%.2f - %.2f s)\n", e.time_s, e.keyword.c_str(), e.score, e.start_s, e.end_s);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s MODEL.safetensors RECORDING.wav [THRESHOLD]\n", argv[0]);
    return 2;
  }
  try {
    unirep::RuntimeOptions runtime;
    runtime.threads = 1;  // a stream's windows are small: one thread keeps up with real time
    const unirep::KeywordSpotter spotter(argv[1], runtime);
    unirep::KeywordStreamOptions options;
    if (argc == 4) options.threshold = std::strtof(argv[3], nullptr);
    auto stream = spotter.create_stream(options);
    const Wav wav = read_wav(argv[2]);
    const size_t frames = wav.data.size() / static_cast<size_t>(wav.channels * wav.bits / 8);
    const size_t chunk = static_cast<size_t>(wav.rate / 50);  // 20 ms, as an audio callback delivers
    std::vector<float> block;
    for (size_t start = 0; start < frames; start += chunk) {
      block.clear();
      for (size_t i = start; i < std::min(frames, start + chunk); ++i) block.push_back(mono_sample(wav, i));
      stream.accept_waveform(wav.rate, block.data(), block.size());
      print_events(stream);
    }
    stream.input_finished();
    print_events(stream);
    std::printf("listened to %.2f s\n", stream.time_s());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "keyword_stream: %s\n", e.what());
    return 1;
  }
  return 0;
}
