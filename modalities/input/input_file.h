#pragma once
// Reading a whole input file with bounded work, whatever the path names: a regular file, standard
// input ("-"), a pipe, a FIFO, a character device such as /dev/zero, a directory, a symlink loop.
//
// Every reader of a whole file goes through here so that an input that never ends (/dev/zero, `yes`
// through a pipe) is cut off at a limit instead of filling memory, and a FIFO that nobody writes to
// fails after a wait instead of blocking forever (docs/images.md and docs/points.md, Limits).
#include <cstdint>
#include <string>

namespace unirep::modalities {

// The default for InputLimits::max_bytes: 256 MiB, far above any real image, point cloud or CSV
// this SDK reads, and small enough that holding it in memory is harmless.
inline constexpr uint64_t kDefaultMaxInputBytes = 256ull << 20;
// The default for InputLimits::writer_wait_s.
inline constexpr double kDefaultWriterWaitSeconds = 10;

struct InputLimits {
  uint64_t max_bytes =
      kDefaultMaxInputBytes;  // most bytes any input may hold; non-regular inputs are cut off here with an error
  double writer_wait_s = kDefaultWriterWaitSeconds;  // a FIFO with no writer fails after this long instead of blocking
};

// The whole content of `path` ("-" = standard input), read within `limits`. Regular files larger than
// max_bytes are refused from their size before reading; pipes, FIFOs and character devices (e.g. /dev/zero)
// are read in chunks and refused once they exceed max_bytes; a FIFO that gets no writer within
// writer_wait_s is refused (so is any non-regular input that goes quiet that long); directories,
// missing files and symlink loops get their own clear message.
// Throws std::runtime_error("PATH: problem") (one line).
std::string read_input_bytes(const std::string& path, const InputLimits& limits = {});

// The checks read_input_bytes makes before reading, for readers whose library opens the path itself
// (FFmpeg): throws the same one-line errors for a missing path, a symlink loop, a directory, an
// unreadable file and a regular file over max_bytes; returns true when `path` is a regular file.
bool check_input_path(const std::string& path, const InputLimits& limits = {});

// "256 MiB", "1.5 GiB", "300 bytes": a byte count for messages.
std::string describe_bytes(uint64_t bytes);

}  // namespace unirep::modalities
