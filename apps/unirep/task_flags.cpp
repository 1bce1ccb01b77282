#include "task_flags.h"

#include "input_options.h"

#include <cmath>
#include <cstdlib>
#include <map>

namespace unirep::cli {
namespace {

using sdk::Option;
using sdk::OptionType;

// docs/cli.md, "Numbers": no option needs a floating-point value beyond +-1e12.
constexpr double kMaxMagnitude = 1e12;

CLI::Validator value_check(const Option& o) {
  return CLI::Validator(
      [o](std::string& value) -> std::string {
        if (auto problem = sdk::value_problem(o, value); !problem.empty()) return problem;
        if (o.type == OptionType::Number && std::fabs(std::strtod(value.c_str(), nullptr)) > kMaxMagnitude)
          return "'" + value + "' is not a finite number within +-1e12";
        return "";
      },
      "");
}

const char* type_name(OptionType t) {
  switch (t) {
    case OptionType::Integer:
      return "INT";
    case OptionType::Number:
      return "FLOAT";
    case OptionType::File:
      return "FILE";
    case OptionType::Folder:
      return "DIR";
    default:
      return "TEXT";
  }
}

std::string help_text(const Option& o, const std::set<std::string>& tasks, size_t task_count) {
  std::string prefix;
  if (tasks.size() < task_count)
    for (const auto& t : tasks) prefix += (prefix.empty() ? "" : ", ") + t;
  const auto& text = o.negated && !o.flag_help.empty() ? o.flag_help : o.help;
  std::string help = (prefix.empty() ? "" : prefix + ": ") + text;
  if (!o.choices.empty()) {
    std::string list;
    for (const auto& c : o.choices) list += (list.empty() ? "" : " | ") + c;
    help += ": " + list;
  }
  if (o.type != OptionType::Flag && !o.default_value.empty()) help += " (default " + o.default_value + ")";
  return help;
}

}  // namespace

const ShortFlags& task_short_flags() {
  static const ShortFlags letters = {{"model", "m"}, {"weights", "w"}, {"output_dir", "o"}};
  return letters;
}

TaskFlags::TaskFlags(CLI::App& app, const TaskOptionLists& per_task, const ShortFlags& short_flags) {
  std::map<std::string, Flag*> by_key;
  for (const auto& [task, options] : per_task)
    for (const auto& o : options) {
      auto it = by_key.find(o.key);
      if (it == by_key.end()) {
        flags_.push_back(std::make_unique<Flag>(Flag{o, {}}));
        it = by_key.emplace(o.key, flags_.back().get()).first;
      }
      it->second->tasks.insert(task);
    }
  for (auto& f : flags_) add(app, *f, per_task.size(), short_flags);
}

void TaskFlags::add(CLI::App& app, Flag& f, size_t task_count, const ShortFlags& short_flags) {
  const auto& o = f.option;
  std::string name = "--" + o.flag_name();
  if (const auto s = short_flags.find(o.key); s != short_flags.end()) name += ",-" + s->second;
  const auto help = help_text(o, f.tasks, task_count);
  if (o.type == OptionType::Flag) {
    // A negated flag (--no-noise) sets the option false; a plain one (--bf16) sets it true.
    f.cli = app.add_flag_callback(
        name, [&f] { f.value = f.option.negated ? "false" : "true", f.set = true; }, help);
    return;
  }
  f.cli = app.add_option_function<std::string>(
      name, [&f](const std::string& v) { f.value = v, f.set = true; }, help);
  f.cli->check(value_check(o));
  f.cli->type_name(type_name(o.type));
  if (o.type == OptionType::File) f.cli->check(existing_input());
}

std::string TaskFlags::in_flag_words(std::string message) const {
  for (const auto& f : flags_) {
    const std::string sdk_words = "option '" + f->option.key + "'", cli_words = "--" + f->option.flag_name();
    for (size_t at = message.find(sdk_words); at != std::string::npos;
         at = message.find(sdk_words, at + cli_words.size()))
      message.replace(at, sdk_words.size(), cli_words);
  }
  return message;
}

CLI::Option* TaskFlags::flag(const std::string& key) const {
  for (const auto& f : flags_)
    if (f->option.key == key) return f->cli;
  return nullptr;
}

void TaskFlags::fill(const std::string& task, sdk::Settings& settings, const std::string& command) const {
  for (const auto& f : flags_) {
    if (!f->set) continue;
    if (!f->tasks.count(task)) throw std::invalid_argument(f->cli->get_name() + " is not an option of " + command);
    settings.set(f->option.key, f->value, f->cli->get_name());
  }
  for (const auto& o : settings.options())
    if (o.required && !settings.given(o.key)) {
      const auto* f = flag(o.key);
      throw std::invalid_argument(command + " needs " + (f ? f->get_name() : o.key) + " (" + o.help + ")");
    }
}

}  // namespace unirep::cli
