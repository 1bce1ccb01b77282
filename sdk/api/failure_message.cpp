#include "failure_message.h"

#include "models/io/text_escape.h"
#include "modalities/input/input_file.h"

#include <algorithm>
#include <cctype>

namespace unirep::api_detail {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string one_line(const std::string& message) {
  std::string line = message.substr(0, message.find_first_of("\r\n"));
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return io::one_line(line, kMaxMessageLength);  // control bytes and invalid UTF-8 escaped too
}

bool is_allocation_failure(const std::string& message) {
  const auto m = lower(message);
  for (const char* sign : {"can't allocate memory", "not enough memory", "out of memory", "tried to allocate"})
    if (m.find(sign) != std::string::npos) return true;
  return false;
}

std::optional<uint64_t> failed_allocation_bytes(const std::string& message) {
  static const std::string kLead = "you tried to allocate ";
  const auto at = message.find(kLead);
  if (at == std::string::npos) return std::nullopt;
  size_t i = at + kLead.size();
  uint64_t bytes = 0;
  bool any = false;
  for (; i < message.size() && std::isdigit(static_cast<unsigned char>(message[i])); ++i) {
    if (bytes > (UINT64_MAX - 9) / 10) return std::nullopt;
    bytes = bytes * 10 + static_cast<uint64_t>(message[i] - '0');
    any = true;
  }
  if (!any) return std::nullopt;
  return bytes;
}

std::string describe_allocation_failure(const std::string& message) {
  if (const auto bytes = failed_allocation_bytes(message))
    return "out of memory: could not allocate " + modalities::describe_bytes(*bytes);
  if (message.rfind("out of memory", 0) == 0) return message;
  return "out of memory: " + message;
}

}  // namespace unirep::api_detail
