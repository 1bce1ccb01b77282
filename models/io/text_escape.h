#pragma once
// User text inside messages and JSON (docs/reliability.md, "Clear errors" and "Text and time"):
// file names and cells come from strangers and may hold control bytes, NULs or bytes that are not
// UTF-8; a message must stay one readable line and a JSON document must stay valid.
#include <cstddef>
#include <string>
#include <string_view>

namespace unirep::io {

// `text` with every byte that is not printable ASCII or part of a valid UTF-8 sequence written as
// \xNN (a backslash as \\), cut after `max_bytes` of input with "..." appended.
std::string escape_text(std::string_view text, size_t max_bytes = std::string_view::npos);

// escape_text of at most 80 bytes in single quotes: how messages quote what the user gave.
std::string quoted(std::string_view text, size_t max_bytes = 80);

// `text` as valid UTF-8 for a JSON string: valid UTF-8 is kept as it is (control characters are
// escaped by the JSON writer); each byte of an invalid sequence becomes the four characters \xNN.
std::string utf8_for_json(std::string_view text);

// A message as one line of at most `max_chars` characters: line breaks and other control bytes
// escaped, the end cut with "..." when too long.
std::string one_line(std::string_view message, size_t max_chars = 500);

}  // namespace unirep::io
