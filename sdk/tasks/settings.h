#pragma once
// The settings of a task, described once (docs/training.md, "One table of options"): each Option
// gives a setting's key, type, default, help and range, and from that one table come the CLI
// flags, the keys of a --config JSON file, the C API's key/value pairs and the run config saved
// with a trained model. Settings holds the values, as the text a flag, a JSON scalar or a C string
// gives, and reads them back typed and checked.
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace unirep::sdk {

enum class OptionType { Integer, Number, Flag, Text, File, Folder };

struct Option {
  std::string key;  // "target_frames": the JSON and C API key
  OptionType type = OptionType::Text;
  std::string default_value;               // as text ("128", "0.6", "true"); "" = none
  std::string help;                        // one line
  double min = -HUGE_VAL, max = HUGE_VAL;  // Integer, Number: inclusive bounds
  std::vector<std::string> choices;        // Text: the values allowed (empty: any)
  bool required = false;
  // The CLI's spelling when it is not the key's ("freqm"), and a flag that sets false
  // ("no-noise" for noise = true by default).
  std::string flag;
  bool negated = false;
  std::string flag_help;  // a negated flag's help, which says what the flag does

  // The CLI flag without dashes: `flag`, or the key with '-' for '_'.
  std::string flag_name() const;
};

// An option with its help, type and default; the setters are for the table's readability.
Option integer_option(std::string key, int64_t default_value, std::string help, double min = -HUGE_VAL,
                      double max = HUGE_VAL);
Option number_option(std::string key, double default_value, std::string help, double min = -HUGE_VAL,
                     double max = HUGE_VAL);
Option flag_option(std::string key, bool default_value, std::string help);
Option text_option(std::string key, std::string default_value, std::string help, std::vector<std::string> choices = {});
Option file_option(std::string key, std::string help, bool required = false);
Option folder_option(std::string key, std::string help, bool required = false);

// Why `value` is not a valid value of `option` ("must be an integer from 1 to 64, got '0'"), or ""
// when it is. Numbers are parsed strictly: the whole text, finite, in range.
std::string value_problem(const Option& option, const std::string& value);

// Messages name an option as "option 'key'" (the CLI puts its flag in that place).
class Settings {
 public:
  Settings() = default;
  explicit Settings(std::vector<Option> options);

  const std::vector<Option>& options() const { return options_; }
  const Option* find(const std::string& key) const;

  // Sets one value; std::invalid_argument "<source>: option 'key' ..." for a key that is not an
  // option or a value that value_problem() refuses.
  void set(const std::string& key, const std::string& value, const std::string& source = "options");
  // Sets every key of a JSON object (numbers, booleans, strings; an array of numbers reads as
  // "a,b"; null leaves the option unset); errors name `source` and the key.
  void set_json(const std::string& json_text, const std::string& source);
  // Whether `key` was set (not left at its default).
  bool given(const std::string& key) const { return values_.count(key) > 0; }

  // Typed reads of a value or, when not given, the default. A key that is not an option, or a
  // read of the wrong type, is a programming error (std::logic_error).
  int64_t integer(const std::string& key) const;
  double number(const std::string& key) const;
  bool flag(const std::string& key) const;
  std::string text(const std::string& key) const;

  // std::invalid_argument "<source>: option 'key' is required" for the first required option not given.
  void require(const std::string& source) const;
  // Every option with its value (defaults included; null where there is neither), as a JSON
  // object: the saved run config, which set_json reads back.
  std::string to_json() const;

 private:
  const Option& option(const std::string& key, OptionType wanted) const;
  std::vector<Option> options_;
  std::map<std::string, std::string> values_;
};

// `a` followed by the options of `b` whose keys `a` lacks.
std::vector<Option> merge_options(std::vector<Option> a, const std::vector<Option>& b);

}  // namespace unirep::sdk
