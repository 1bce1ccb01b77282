#pragma once
// Shared by the libFuzzer targets: most SDK readers take a path, so each input is written to a file
// in /dev/shm (memory, one per process) with the extension the target picks. Readers must turn any
// bytes into a result or an exception; anything else (a crash, a sanitizer report, a hang, an
// allocation beyond libFuzzer's -rss_limit_mb) is a bug.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace unirep::fuzz {

inline std::string write_input(const uint8_t* data, size_t size, const std::string& extension) {
  const std::string path = "/dev/shm/unirep-fuzz-" + std::to_string(getpid()) + extension;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  return path;
}

}  // namespace unirep::fuzz
