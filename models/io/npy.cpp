// NumPy .npy reading and writing (format spec: numpy/lib/format.py, "NEP 1").
#include "models/io/npy.h"

#include "models/io/atomic_file.h"
#include "models/io/format_error.h"

#include "file_reader.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cctype>
#include <limits>

namespace unirep::io {
namespace {

struct Descr {
  const char* text;
  at::ScalarType type;
};
constexpr size_t kMaxDims = 64;
constexpr uint64_t kMaxHeader = 1u << 20;  // NumPy itself refuses headers over 10 kB by default

const Descr kDescrs[] = {{"<f4", at::kFloat}, {"<f8", at::kDouble}, {"<f2", at::kHalf}, {"<i8", at::kLong},
                         {"<i4", at::kInt},   {"|u1", at::kByte},   {"|i1", at::kChar}, {"|b1", at::kBool}};

// A tiny parser for the header's Python dict literal, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
struct HeaderParser {
  const std::string& s;
  const std::string& path;
  size_t i = 0;

  [[noreturn]] void fail(const std::string& what) const { throw FormatError(path, "bad .npy header: " + what); }
  void skip() {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  }
  bool eat(char c) {
    skip();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) fail(std::string("expected '") + c + "'");
  }
  std::string quoted() {
    skip();
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) fail("expected a quoted string");
    const char q = s[i++];
    const size_t start = i;
    while (i < s.size() && s[i] != q) ++i;
    if (i >= s.size()) fail("unterminated string");
    return s.substr(start, i++ - start);
  }
  std::string word() {
    skip();
    const size_t start = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    return s.substr(start, i - start);
  }
  int64_t integer() {
    skip();
    const size_t start = i;
    int64_t v = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (v > (std::numeric_limits<int64_t>::max() - 9) / 10) fail("dimension too large");
      v = v * 10 + (s[i++] - '0');
    }
    if (i == start) fail("expected a non-negative integer dimension");
    if (i < s.size() && s[i] == 'L') ++i;  // Python 2 long suffix
    return v;
  }
  bool boolean() {
    const auto w = word();
    if (w != "True" && w != "False") fail("fortran_order must be True or False");
    return w == "True";
  }
  std::vector<int64_t> shape() {
    std::vector<int64_t> dims;
    expect('(');
    while (!eat(')')) {
      if (dims.size() >= kMaxDims) fail("more than " + std::to_string(kMaxDims) + " dimensions");
      dims.push_back(integer());
      // A one-element tuple needs its comma: "(3,)"; "(3)" is an int, not a shape.
      if (!eat(',')) {
        if (dims.size() == 1) fail("a 1-D shape must be written (n,)");
        expect(')');
        break;
      }
    }
    return dims;
  }
};

// Where the header is and how long, from the magic and the version (1.0: a 2-byte length, 2.0 and
// 3.0: a 4-byte one).
struct HeaderSpan {
  uint64_t start, length;
};

HeaderSpan read_preamble(FileReader& file, const std::string& path) {
  unsigned char pre[10];
  if (file.size() < 10) throw FormatError(path, "not a .npy file (too short for the NumPy magic)");
  file.read_at(0, pre, 10, "magic");
  if (pre[0] != 0x93 || std::string(reinterpret_cast<char*>(pre + 1), 5) != "NUMPY")
    throw FormatError(path, "not a .npy file (wrong magic)");
  const int major = pre[6], minor = pre[7];
  if (major < 1 || major > 3 || minor != 0)
    throw FormatError(path, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
  uint64_t header_len, header_start;
  if (major == 1) {
    header_len = load_le(pre + 8, 2);
    header_start = 10;
  } else {
    unsigned char len4[4];
    file.read_at(8, len4, 4, "header length");
    header_len = load_le(len4, 4);
    header_start = 12;
  }
  if (header_len > kMaxHeader) throw FormatError(path, "absurd .npy header length " + std::to_string(header_len));
  return {header_start, header_len};
}

struct NpyHeader {
  std::string descr;
  bool fortran = false;
  std::vector<int64_t> shape;
};

NpyHeader parse_header(const std::string& header, const std::string& path) {
  HeaderParser p{header, path};
  NpyHeader h;
  bool have_descr = false, have_order = false, have_shape = false;
  p.expect('{');
  while (!p.eat('}')) {
    const std::string key = p.quoted();
    p.expect(':');
    bool* seen = key == "descr"           ? &have_descr
                 : key == "fortran_order" ? &have_order
                 : key == "shape"         ? &have_shape
                                          : nullptr;
    if (!seen) p.fail("unknown key '" + key + "'");
    if (*seen) p.fail("key '" + key + "' appears twice");
    *seen = true;
    if (key == "descr")
      h.descr = p.quoted();
    else if (key == "fortran_order")
      h.fortran = p.boolean();
    else
      h.shape = p.shape();
    if (!p.eat(',')) {
      p.expect('}');
      break;
    }
  }
  if (!have_descr || !have_order || !have_shape) p.fail("missing descr, fortran_order or shape");
  // NumPy pads the dict with spaces and ends it with a newline; nothing else may follow.
  p.skip();
  if (p.i != header.size()) p.fail("unexpected text after the dict");
  return h;
}

at::ScalarType scalar_type(const std::string& descr, const std::string& path) {
  at::ScalarType type = at::kFloat;
  bool known = false;
  for (const auto& d : kDescrs)
    if (descr == d.text) type = d.type, known = true;
  if (!known)
    throw FormatError(path,
                      "unsupported dtype '" + descr + "' (float32, float64, float16, int64, int32, uint8, int8, bool)");
  return type;
}

// The element count, refused where it times the item size would overflow.
uint64_t element_count(const std::vector<int64_t>& shape, uint64_t item, const std::string& path) {
  uint64_t numel = 1;
  for (auto d : shape) {
    if (d != 0 && numel > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d) / item)
      throw FormatError(path, "shape is too large");
    numel *= static_cast<uint64_t>(d);
  }
  return numel;
}

// The array's bytes into a C-order tensor. Fortran order is C order of the reversed shape; such
// files are read as that, then transposed back. (np.save writes Fortran order for transposed
// arrays, as the audio fixtures are.)
at::Tensor read_array(FileReader& file, uint64_t data_start, const NpyHeader& h, at::ScalarType type, uint64_t numel,
                      const std::string& path) {
  std::vector<int64_t> stored = h.shape;
  if (h.fortran) std::reverse(stored.begin(), stored.end());
  at::Tensor t = at::empty(stored, at::TensorOptions().dtype(type));
  if (numel > 0) file.read_at(data_start, t.data_ptr(), numel * at::elementSize(type), "array data");
  if (type == at::kBool && numel > 0 && t.view(at::kByte).gt(1).any().item<bool>())
    throw FormatError(path, "bool array holds values other than 0 and 1");
  if (h.fortran && t.dim() > 1) {
    std::vector<int64_t> reverse(static_cast<size_t>(t.dim()));
    for (size_t i = 0; i < reverse.size(); ++i) reverse[i] = static_cast<int64_t>(reverse.size() - 1 - i);
    t = t.permute(reverse).contiguous();
  }
  return t;
}

}  // namespace

at::Tensor read_npy(const std::string& path) {
  FileReader file(path);
  const HeaderSpan span = read_preamble(file, path);
  const NpyHeader h = parse_header(file.read_string(span.start, span.length, "header"), path);
  const at::ScalarType type = scalar_type(h.descr, path);
  const uint64_t item = at::elementSize(type);
  const uint64_t numel = element_count(h.shape, item, path);
  const uint64_t data_start = span.start + span.length;
  const uint64_t available = file.size() - data_start;
  if (numel * item != available)
    throw FormatError(path, "data is " + std::to_string(available) + " bytes, shape and dtype need " +
                                std::to_string(numel * item) +
                                (available < numel * item ? " (truncated)" : " (trailing bytes)"));
  return read_array(file, data_start, h, type, numel, path);
}

void write_npy(const std::string& path, const at::Tensor& tensor) {
  auto t = tensor.detach().to(at::kCPU).contiguous();
  const char* descr = nullptr;
  for (const auto& d : kDescrs)
    if (t.scalar_type() == d.type) descr = d.text;
  if (!descr) throw FormatError(path, std::string("cannot write dtype ") + at::toString(t.scalar_type()) + " to .npy");
  std::string shape = "(";
  for (int64_t i = 0; i < t.dim(); ++i)
    shape += std::to_string(t.size(i)) + (t.dim() == 1 ? "," : (i + 1 < t.dim() ? ", " : ""));
  shape += ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so the data starts on a 64-byte boundary; the header ends with '\n'.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  if (header.size() > 65535) throw FormatError(path, "shape too long for a version 1.0 header");
  std::string pre = "\x93NUMPY";
  pre.push_back(1);
  pre.push_back(0);
  pre.push_back(static_cast<char>(header.size() & 0xff));
  pre.push_back(static_cast<char>(header.size() >> 8));
  AtomicFile out(path);
  out.write(pre);
  out.write(header);
  out.write(t.data_ptr(), t.numel() * t.element_size());
  out.commit();
}

}  // namespace unirep::io
