#pragma once
// Text from a file as it may appear in names and messages: a CSV header must be UTF-8 (its names
// become output columns and JSON), and a cell or token quoted in an error message is cut to a
// readable length with bytes that are not printable UTF-8 escaped, so an error line never carries
// raw invalid bytes, control characters or a NUL that would cut it short (docs/timeseries.md,
// Data; docs/reliability.md, Clear errors). The same rules as unirep::io's escape_text, kept here
// because modalities/ does not depend on models/.
#include <cstddef>
#include <string>

namespace unirep::modalities {

// The most bytes of user text an error message quotes.
inline constexpr size_t kMaxQuotedBytes = 80;

// Offset of the first byte that is not part of a well-formed UTF-8 sequence (no overlong forms,
// surrogates or code points past U+10FFFF), or std::string::npos when `text` is valid UTF-8.
size_t invalid_utf8_offset(const std::string& text);

// `text` in single quotes for a message: at most kMaxQuotedBytes bytes of it ("..." when cut),
// control characters and bytes that are not valid UTF-8 written as \xNN.
std::string quoted(const std::string& text);

// `text` with the same escapes, unquoted, cut after `max_bytes` ("..." when cut).
std::string escaped_text(const std::string& text, size_t max_bytes);

}  // namespace unirep::modalities
