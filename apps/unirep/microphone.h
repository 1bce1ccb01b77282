#pragma once
// The default microphone through PortAudio (an optional build dependency, Debian's
// portaudio19-dev): mono float blocks at the rate asked for. Without PortAudio the constructor says
// that `--mic` was not built in.
#include <cstdint>
#include <memory>
#include <vector>

namespace unirep::cli {

bool microphone_built_in();

class Microphone {
 public:
  // Opens and starts the default input device; std::runtime_error with PortAudio's reason.
  Microphone(int sample_rate, int64_t block);
  ~Microphone();
  Microphone(const Microphone&) = delete;
  Microphone& operator=(const Microphone&) = delete;
  // Blocks until `block` samples are read into `out` (an input overflow drops samples, not the stream).
  void read(std::vector<float>& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unirep::cli
