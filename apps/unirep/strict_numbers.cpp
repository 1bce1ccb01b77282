#include "strict_numbers.h"

#include "sdk/threads.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

namespace unirep::cli {
namespace {

constexpr size_t kMaxNumberChars = 40;
constexpr double kMaxMagnitude = 1e12;

std::string check_integer(const std::string& text) {
  if (text.empty() || text.size() > kMaxNumberChars)
    return "'" + text.substr(0, kMaxNumberChars) + "' is not an integer";
  const size_t digits = text[0] == '-' || text[0] == '+' ? 1 : 0;
  if (digits == text.size()) return "'" + text + "' is not an integer";
  for (size_t i = digits; i < text.size(); ++i)
    if (text[i] < '0' || text[i] > '9') return "'" + text + "' is not an integer (whole decimal number expected)";
  return "";
}

std::string check_count(const std::string& text) {
  if (!text.empty() && text[0] == '-') return "'" + text.substr(0, kMaxNumberChars) + "' is negative";
  return check_integer(text);
}

std::string check_real(const std::string& text) {
  if (text.empty() || text.size() > kMaxNumberChars) return "'" + text.substr(0, kMaxNumberChars) + "' is not a number";
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') return "'" + text + "' is not a number";
  if (!std::isfinite(v) || errno == ERANGE || std::fabs(v) > kMaxMagnitude)
    return "'" + text + "' is not a finite number within +-1e12";
  return "";
}

std::string check_threads(const std::string& text) {
  if (auto e = check_integer(text); !e.empty()) return e;
  const long long n = std::strtoll(text.c_str(), nullptr, 10);
  if (n < 0 || n > sdk::max_threads())
    return "'" + text + "' is not a thread count from 0 (all cores) to " + std::to_string(sdk::max_threads());
  return "";
}

void add_check(CLI::Option* o) {
  // get_type_name() appends the descriptions of validators already there ("FLOAT:POSITIVE").
  const std::string full = o->get_type_name(), type = full.substr(0, full.find(':'));
  const bool threads = o->check_lname("threads");
  if (threads)
    o->check(CLI::Validator(check_threads, "", "thread count"));
  else if (type == "INT")
    o->check(CLI::Validator(check_integer, "", "strict integer"));
  else if (type == "UINT")
    o->check(CLI::Validator(check_count, "", "strict count"));
  else if (type == "FLOAT")
    o->check(CLI::Validator(check_real, "", "strict number"));
}

}  // namespace

void make_numbers_strict(CLI::App& app) {
  for (auto* o : app.get_options()) add_check(o);
  for (auto* sub : app.get_subcommands([](CLI::App*) { return true; })) make_numbers_strict(*sub);
}

}  // namespace unirep::cli
