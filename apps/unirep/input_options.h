#pragma once
// The check on options that name an input file (docs/cli.md, "Inputs"): regular files, FIFOs and
// character devices pass (their readers apply the size and wait limits); a missing file, a dangling
// link, a loop of links, a directory and a file that cannot be read each get their own reason.
#include <CLI/CLI.hpp>

namespace unirep::cli {

CLI::Validator existing_input();

}  // namespace unirep::cli
