#pragma once
// Private to modalities/audio: which library should decode a file, judged from its first bytes
// (never from its extension).
#include <cstddef>
#include <string>

namespace unirep::modalities {

enum class AudioContainer {
  Sndfile,  // WAV/RIFX/RF64/W64, FLAC, OGG, AIFF/AIFC, CAF, AU, ...: libsndfile reads these exactly
  Ffmpeg,   // anything else (MP3, ADTS AAC, MP4/M4A, Matroska/WebM, AVI, ...): FFmpeg probes it
};

// Classifies the file at `path`. Throws std::runtime_error("PATH: ...") when it is missing, a
// folder, empty (0 bytes) or unreadable.
AudioContainer sniff_container(const std::string& path);

// Classifies the first bytes of a file (any length, also shorter than a full magic number).
AudioContainer classify_magic(const unsigned char* head, size_t size);

}  // namespace unirep::modalities
