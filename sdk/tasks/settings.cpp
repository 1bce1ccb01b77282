#include "sdk/tasks/settings.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace unirep::sdk {
namespace {

constexpr size_t kMaxNumberChars = 40;

// The shortest text that reads back as `v` ("0.6", not "0.59999999999999998").
std::string number_text(double v) {
  char buf[40];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

bool parse_integer(const std::string& text, int64_t& out) {
  if (text.empty() || text.size() > kMaxNumberChars) return false;
  const size_t first = text[0] == '-' || text[0] == '+' ? 1 : 0;
  if (first == text.size()) return false;
  for (size_t i = first; i < text.size(); ++i)
    if (text[i] < '0' || text[i] > '9') return false;
  errno = 0;
  out = std::strtoll(text.c_str(), nullptr, 10);
  return errno != ERANGE;
}

bool parse_number(const std::string& text, double& out) {
  if (text.empty() || text.size() > kMaxNumberChars) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(text.c_str(), &end);
  return end != text.c_str() && *end == '\0' && errno != ERANGE && std::isfinite(out);
}

bool parse_flag(const std::string& text, bool& out) {
  if (text == "true" || text == "1") return out = true, true;
  if (text == "false" || text == "0") return out = false, true;
  return false;
}

std::string range_text(const Option& o) {
  const bool low = std::isfinite(o.min), high = std::isfinite(o.max);
  if (low && high) return " from " + number_text(o.min) + " to " + number_text(o.max);
  if (low) return " >= " + number_text(o.min);
  if (high) return " <= " + number_text(o.max);
  return "";
}

// A value as the user wrote it, cut and made printable for a one-line message.
std::string shown(const std::string& value) {
  std::string out;
  for (char c : value.substr(0, 60)) out += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
  return "'" + out + (value.size() > 60 ? "...'" : "'");
}

std::string json_scalar_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number()) return number_text(v.get<double>());
  throw std::invalid_argument("must be a number, a boolean or a string");
}

}  // namespace

std::string Option::flag_name() const {
  if (!flag.empty()) return flag;
  std::string name = key;
  for (auto& c : name)
    if (c == '_') c = '-';
  return name;
}

Option integer_option(std::string key, int64_t default_value, std::string help, double min, double max) {
  Option o{std::move(key), OptionType::Integer, std::to_string(default_value), std::move(help)};
  o.min = min, o.max = max;
  return o;
}

Option number_option(std::string key, double default_value, std::string help, double min, double max) {
  Option o{std::move(key), OptionType::Number, number_text(default_value), std::move(help)};
  o.min = min, o.max = max;
  return o;
}

Option flag_option(std::string key, bool default_value, std::string help) {
  return Option{std::move(key), OptionType::Flag, default_value ? "true" : "false", std::move(help)};
}

Option text_option(std::string key, std::string default_value, std::string help, std::vector<std::string> choices) {
  Option o{std::move(key), OptionType::Text, std::move(default_value), std::move(help)};
  o.choices = std::move(choices);
  return o;
}

Option file_option(std::string key, std::string help, bool required) {
  Option o{std::move(key), OptionType::File, "", std::move(help)};
  o.required = required;
  return o;
}

Option folder_option(std::string key, std::string help, bool required) {
  Option o{std::move(key), OptionType::Folder, "", std::move(help)};
  o.required = required;
  return o;
}

std::string value_problem(const Option& o, const std::string& value) {
  switch (o.type) {
    case OptionType::Integer: {
      int64_t v = 0;
      if (!parse_integer(value, v) || v < o.min || v > o.max)
        return "must be an integer" + range_text(o) + ", got " + shown(value);
      return "";
    }
    case OptionType::Number: {
      double v = 0;
      if (!parse_number(value, v) || v < o.min || v > o.max)
        return "must be a finite number" + range_text(o) + ", got " + shown(value);
      return "";
    }
    case OptionType::Flag: {
      bool v = false;
      return parse_flag(value, v) ? "" : "must be true or false, got " + shown(value);
    }
    case OptionType::Text:
      if (o.choices.empty()) return "";
      for (const auto& c : o.choices)
        if (c == value) return "";
      {
        std::string list;
        for (const auto& c : o.choices) list += (list.empty() ? "" : " | ") + c;
        return "must be one of " + list + ", got " + shown(value);
      }
    case OptionType::File:
    case OptionType::Folder:
      return value.empty() ? "must name a path" : "";
  }
  return "";
}

Settings::Settings(std::vector<Option> options) : options_(std::move(options)) {}

const Option* Settings::find(const std::string& key) const {
  for (const auto& o : options_)
    if (o.key == key) return &o;
  return nullptr;
}

void Settings::set(const std::string& key, const std::string& value, const std::string& source) {
  const Option* o = find(key);
  if (!o) throw std::invalid_argument(source + ": " + shown(key) + " is not an option here");
  if (const auto problem = value_problem(*o, value); !problem.empty())
    throw std::invalid_argument(source + ": option '" + key + "' " + problem);
  values_[key] = value;
}

void Settings::set_json(const std::string& json_text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception&) {
    throw std::invalid_argument(source + ": not valid JSON");
  }
  if (!j.is_object()) throw std::invalid_argument(source + ": expected a JSON object of options");
  for (const auto& [key, v] : j.items()) {
    if (v.is_null()) {
      if (!find(key)) throw std::invalid_argument(source + ": " + shown(key) + " is not an option here");
      continue;
    }
    std::string text;
    try {
      if (v.is_array()) {
        for (const auto& e : v) text += (text.empty() ? "" : ",") + json_scalar_text(e);
      } else {
        text = json_scalar_text(v);
      }
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(source + ": option " + shown(key) + " " + e.what());
    }
    set(key, text, source);
  }
}

const Option& Settings::option(const std::string& key, OptionType wanted) const {
  const Option* o = find(key);
  const bool path = wanted == OptionType::Text && o && (o->type == OptionType::File || o->type == OptionType::Folder);
  if (!o || (o->type != wanted && !path)) throw std::logic_error("Settings: no option '" + key + "' of the type read");
  return *o;
}

int64_t Settings::integer(const std::string& key) const {
  const auto& o = option(key, OptionType::Integer);
  const auto it = values_.find(key);
  return std::strtoll((it != values_.end() ? it->second : o.default_value).c_str(), nullptr, 10);
}

double Settings::number(const std::string& key) const {
  const auto& o = option(key, OptionType::Number);
  const auto it = values_.find(key);
  return std::strtod((it != values_.end() ? it->second : o.default_value).c_str(), nullptr);
}

bool Settings::flag(const std::string& key) const {
  const auto& o = option(key, OptionType::Flag);
  const auto it = values_.find(key);
  const std::string& v = it != values_.end() ? it->second : o.default_value;
  return v == "true" || v == "1";
}

std::string Settings::text(const std::string& key) const {
  const auto& o = option(key, OptionType::Text);
  const auto it = values_.find(key);
  return it != values_.end() ? it->second : o.default_value;
}

void Settings::require(const std::string& source) const {
  for (const auto& o : options_)
    if (o.required && !given(o.key))
      throw std::invalid_argument(source + ": option '" + o.key + "' is required (" + o.help + ")");
}

std::string Settings::to_json() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& o : options_) {
    const auto it = values_.find(o.key);
    const std::string& v = it != values_.end() ? it->second : o.default_value;
    if (it == values_.end() && v.empty()) {  // no value and no default: null, which set_json skips
      j[o.key] = nullptr;
      continue;
    }
    switch (o.type) {
      case OptionType::Integer:
        j[o.key] = std::strtoll(v.c_str(), nullptr, 10);
        break;
      case OptionType::Number:
        j[o.key] = std::strtod(v.c_str(), nullptr);
        break;
      case OptionType::Flag:
        j[o.key] = v == "true" || v == "1";
        break;
      default:
        j[o.key] = v;
    }
  }
  return j.dump(2);
}

std::vector<Option> merge_options(std::vector<Option> a, const std::vector<Option>& b) {
  for (const auto& o : b) {
    bool present = false;
    for (const auto& e : a) present = present || e.key == o.key;
    if (!present) a.push_back(o);
  }
  return a;
}

}  // namespace unirep::sdk
