#pragma once
// Every numeric option of the CLI parsed strictly (docs/cli.md, "Numbers"): a number is at most 40
// characters; integers are plain decimal digits; floating-point values are finite and within
// +-1e12 (no option needs more, and larger values overflow the sample and step counts made from
// them); thread counts are 0 (all cores) up to sdk::max_threads(). The error names the option.
#include <CLI/CLI.hpp>

namespace unirep::cli {

// Adds the checks to every numeric option of `app` and of its subcommands, recursively.
void make_numbers_strict(CLI::App& app);

}  // namespace unirep::cli
