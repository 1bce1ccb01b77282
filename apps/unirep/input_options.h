#pragma once
// The check on options that name an input file (docs/cli.md, "Inputs"): regular files, FIFOs and
// character devices pass (their readers apply the size and wait limits); a missing file, a dangling
// link, a loop of links, a directory and a file that cannot be read each get their own reason.
#include <CLI/CLI.hpp>

namespace unirep::cli {

// `standard_input`: "-" passes too, for the readers that take standard input (point clouds and
// images, docs/reliability.md, "Bounded work").
CLI::Validator existing_input(bool standard_input = false);

}  // namespace unirep::cli
