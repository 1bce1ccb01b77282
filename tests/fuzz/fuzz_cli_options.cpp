// The `unirep` command line's option parsing (docs/cli.md, "Numbers"): the input is split at NUL
// bytes into arguments and parsed by the real command table, nothing is run. Any argument list must
// parse or give CLI11's usage error; a parsed real number must be finite and a parsed thread count
// within the limit, whatever the text said.
#include "commands.h"

#include "sdk/threads.h"

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

void check_parsed(const CLI::App& app) {
  for (const auto* o : app.get_options()) {
    if (o->count() == 0) continue;
    const std::string full = o->get_type_name(), type = full.substr(0, full.find(':'));
    for (const auto& text : o->results()) {
      if (type == "FLOAT" && !std::isfinite(std::strtod(text.c_str(), nullptr))) std::abort();
      if (o->check_lname("threads") && std::strtoll(text.c_str(), nullptr, 10) > unirep::sdk::max_threads())
        std::abort();
    }
  }
  for (const auto* sub : app.get_subcommands()) check_parsed(*sub);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args{"unirep"};
  std::string current;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0)
      args.push_back(std::move(current)), current.clear();
    else
      current += static_cast<char>(data[i]);
  }
  args.push_back(current);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  CLI::App app{"unirep"};
  app.require_subcommand(1);
  const auto commands = unirep::cli::add_commands(app);
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError&) {
    return 0;
  }
  check_parsed(app);
  return 0;
}
