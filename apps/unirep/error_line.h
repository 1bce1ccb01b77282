#pragma once
// How the CLI reports an error: "unirep: error: " and the reason as one escaped line of at most
// 500 characters (docs/cli.md, "Errors"), for main() and for the per-file errors of commands that
// go on with the next file.
#include "models/io/text_escape.h"

#include <cstdio>
#include <string>

namespace unirep::cli {

inline void print_error(const std::string& reason) {
  std::fflush(stdout);
  std::fprintf(stderr, "unirep: error: %s\n", io::one_line(reason).c_str());
}

}  // namespace unirep::cli
