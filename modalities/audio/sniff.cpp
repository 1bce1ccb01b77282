// Content detection: the magic numbers of the containers libsndfile reads. Everything else goes to
// FFmpeg, whose own probing recognizes MP3 (ID3 tag or MPEG frame sync), ADTS AAC, MP4/M4A/MOV
// ("ftyp"), Matroska/WebM (EBML), AVI ("RIFF....AVI "), ASF/WMA and the rest by content as well.
#include "sniff.h"

#include "audio_source.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace unirep::modalities {

AudioContainer classify_magic(const unsigned char* head, size_t size) {
  const auto is = [&](size_t at, const char* magic) {
    const size_t n = std::strlen(magic);
    return at + n <= size && std::memcmp(head + at, magic, n) == 0;
  };
  // RIFF/RIFX/RF64 with form type WAVE (an AVI is also RIFF, with form type "AVI ").
  if ((is(0, "RIFF") || is(0, "RIFX") || is(0, "RF64") || is(0, "BW64")) && is(8, "WAVE"))
    return AudioContainer::Sndfile;
  // Sony Wave64 starts with the GUID 66666972-912E-11CF-A5D6-28DB04C10000 ("riff" + ...).
  static const unsigned char kW64[] = {'r', 'i', 'f', 'f', 0x2E, 0x91, 0xCF, 0x11};
  if (size >= sizeof kW64 && std::memcmp(head, kW64, sizeof kW64) == 0) return AudioContainer::Sndfile;
  if (is(0, "fLaC") || is(0, "OggS") || is(0, "caff") || is(0, ".snd") || is(0, "NIST_1A"))
    return AudioContainer::Sndfile;
  if (is(0, "FORM") && (is(8, "AIFF") || is(8, "AIFC") || is(8, "8SVX"))) return AudioContainer::Sndfile;
  return AudioContainer::Ffmpeg;
}

AudioContainer sniff_container(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) fail(path, "no such file");
    fail(path, std::string("cannot access (") + std::strerror(errno) + ")");
  }
  if (S_ISDIR(st.st_mode)) fail(path, "is a folder, not an audio file");
  if (!S_ISREG(st.st_mode)) fail(path, "not a regular file");
  if (st.st_size == 0) fail(path, "empty file (0 bytes)");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, std::string("cannot open for reading (") + std::strerror(errno) + ")");
  unsigned char head[16] = {};
  size_t got = 0;
  while (got < sizeof head) {
    const ssize_t n = ::read(fd, head + got, sizeof head - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return classify_magic(head, got);
}

}  // namespace unirep::modalities
