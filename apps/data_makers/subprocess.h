#pragma once
// Internal to apps/data_makers: running the external programs the data generators drive (espeak-ng,
// flite, ffmpeg) without a shell.
#include <string>
#include <vector>

namespace unirep::data_makers {

// Whether `program` is an executable in a folder of $PATH.
bool on_path(const std::string& program);

// Runs a program (no shell) with stdout/stderr discarded; returns its exit status (-1 if it could
// not start or did not exit normally).
int run(const std::vector<std::string>& args);

}  // namespace unirep::data_makers
