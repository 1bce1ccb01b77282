#include "models/io/text_escape.h"

#include <cstdio>

namespace unirep::io {
namespace {

// Length of the valid UTF-8 sequence starting at text[i] (1..4), or 0 when it is not one.
size_t utf8_sequence(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  if (b < 0x80) return 1;
  size_t n = 0;
  unsigned min = 0, cp = 0;
  if ((b & 0xE0) == 0xC0)
    n = 2, min = 0x80, cp = b & 0x1F;
  else if ((b & 0xF0) == 0xE0)
    n = 3, min = 0x800, cp = b & 0x0F;
  else if ((b & 0xF8) == 0xF0)
    n = 4, min = 0x10000, cp = b & 0x07;
  else
    return 0;
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not valid UTF-8.
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

void append_hex(std::string& out, unsigned char b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02X", b);
  out += buf;
}

}  // namespace

std::string escape_text(std::string_view text, size_t max_bytes) {
  std::string out;
  size_t i = 0;
  while (i < text.size() && i < max_bytes) {
    const auto b = static_cast<unsigned char>(text[i]);
    const size_t n = utf8_sequence(text, i);
    if (b == '\\')
      out += "\\\\";
    else if (n == 1 && b >= 0x20 && b < 0x7F)
      out += static_cast<char>(b);
    else if (n > 1)
      out.append(text.substr(i, n));
    else {
      append_hex(out, b);
      i += 1;
      continue;
    }
    i += n == 0 ? 1 : n;
  }
  if (i < text.size()) out += "...";
  return out;
}

std::string quoted(std::string_view text, size_t max_bytes) {
  return "'" + escape_text(text, max_bytes) + "'";
}

std::string utf8_for_json(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const size_t n = utf8_sequence(text, i);
    if (n == 0) {
      append_hex(out, static_cast<unsigned char>(text[i]));
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string one_line(std::string_view message, size_t max_chars) {
  std::string out;
  for (size_t i = 0; i < message.size(); ++i) {
    const auto b = static_cast<unsigned char>(message[i]);
    if (b == '\n' || b == '\r')
      out += " | ";
    else if (b == '\t')
      out += ' ';
    else if (b < 0x20 || b == 0x7F)
      append_hex(out, b);
    else if (b < 0x80)
      out += static_cast<char>(b);
    else if (const size_t n = utf8_sequence(message, i); n == 0)
      append_hex(out, b);
    else {
      out.append(message.substr(i, n));
      i += n - 1;
    }
  }
  if (out.size() > max_chars) {
    size_t cut = max_chars - 3;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
    out = out.substr(0, cut) + "...";
  }
  return out;
}

}  // namespace unirep::io
