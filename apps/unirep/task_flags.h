#pragma once
// The flags of `unirep train` and `unirep evaluate`, made from the SDK's task registry (docs/cli.md,
// "Tasks"): one flag per option key over all tasks, with the option's help, range and default.
// After parsing, the values given for the chosen task become its Settings; a flag the chosen task
// does not take is an error naming the flag.
#include "sdk/tasks/settings.h"

#include <CLI/CLI.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace unirep::cli {

using TaskOptionLists = std::vector<std::pair<std::string, std::vector<sdk::Option>>>;  // task -> options
using ShortFlags = std::map<std::string, std::string>;                                  // key -> letter

// The one-letter spellings the task commands have always had: -m, -w, -o.
const ShortFlags& task_short_flags();

class TaskFlags {
 public:
  TaskFlags(CLI::App& app, const TaskOptionLists& per_task, const ShortFlags& short_flags = task_short_flags());
  // The flag of `key` (to mark it as an output, say); nullptr when no task has it.
  CLI::Option* flag(const std::string& key) const;
  // An SDK message in the CLI's words: each "option 'key'" becomes its flag ("--speaker-pattern").
  std::string in_flag_words(std::string message) const;
  // Runs f; an std::invalid_argument it throws comes back in_flag_words.
  template <class F>
  auto in_flag_words_of(F&& f) const -> decltype(f()) {
    try {
      return f();
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(in_flag_words(e.what()));
    }
  }
  // The values given on the command line for `task`, set into `settings` (they win over what it
  // holds already, e.g. a --config file); then every required option must be there. `command`
  // names the command in messages ("train audio").
  void fill(const std::string& task, sdk::Settings& settings, const std::string& command) const;

 private:
  struct Flag {
    sdk::Option option;
    std::set<std::string> tasks;
    CLI::Option* cli = nullptr;
    std::string value;
    bool set = false;
  };
  void add(CLI::App& app, Flag& f, size_t task_count, const ShortFlags& short_flags);
  std::vector<std::unique_ptr<Flag>> flags_;  // stable addresses: CLI11 stores into them
};

}  // namespace unirep::cli
