#pragma once
// Text from a CSV file as it may appear in names and messages: the header must be UTF-8 (its
// names become output columns and JSON), and a cell quoted in an error message is cut to a
// readable length with bytes that are not printable UTF-8 escaped, so an error line never carries
// raw invalid bytes or control characters (docs/timeseries.md, Data).
#include <cstddef>
#include <string>

namespace unirep::modalities::timeseries {

// The most bytes of user text an error message quotes.
inline constexpr size_t kMaxQuotedBytes = 80;

// Offset of the first byte that is not part of a well-formed UTF-8 sequence (no overlong forms,
// surrogates or code points past U+10FFFF), or std::string::npos when `text` is valid UTF-8.
size_t invalid_utf8_offset(const std::string& text);

// `text` in single quotes for a message: at most kMaxQuotedBytes bytes of it ("..." when cut),
// control characters and bytes that are not valid UTF-8 written as \xNN.
std::string quoted(const std::string& text);

}  // namespace unirep::modalities::timeseries
