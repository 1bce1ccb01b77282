// safetensors reading and writing, validating the header before trusting any of it.
#include "models/io/safetensors.h"

#include "models/io/atomic_file.h"
#include "models/io/format_error.h"

#include "file_reader.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <set>

namespace unirep::io {
namespace {

struct DType {
  const char* name;
  at::ScalarType type;
};
const DType kDTypes[] = {{"F64", at::kDouble}, {"F32", at::kFloat}, {"F16", at::kHalf},  {"BF16", at::kBFloat16},
                         {"I64", at::kLong},   {"I32", at::kInt},   {"I16", at::kShort}, {"I8", at::kChar},
                         {"U8", at::kByte},    {"BOOL", at::kBool}};

constexpr uint64_t kMaxHeader = 100u << 20;  // the limit the reference implementation enforces
constexpr size_t kMaxDims = 64;

struct Entry {
  std::string name;
  at::ScalarType type;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

// The header: its size checked against the file, the JSON parsed with repeated top-level keys
// refused (nlohmann would keep only the last, hiding a tensor).
struct Header {
  nlohmann::json json;
  uint64_t data_start = 0, data_size = 0;
};

Header read_header(FileReader& file, const std::string& path) {
  if (file.size() < 8) throw FormatError(path, "not a safetensors file (shorter than the 8-byte header size)");
  unsigned char len8[8];
  file.read_at(0, len8, 8, "header size");
  const uint64_t header_size = load_le(len8, 8);
  if (header_size < 2)
    throw FormatError(path, "header size " + std::to_string(header_size) + " is too small for a JSON object");
  if (header_size > kMaxHeader || header_size > file.size() - 8)
    throw FormatError(path, "header size " + std::to_string(header_size) + " exceeds the file (" +
                                std::to_string(file.size()) + " bytes) or the 100 MB limit");
  const std::string text = file.read_string(8, header_size, "header");
  if (text.empty() || text[0] != '{')
    throw FormatError(path, "header does not start with '{' (not a safetensors file)");
  // A JSON object may repeat a key and nlohmann keeps only the last; a repeated tensor name would
  // then hide a tensor, so top-level keys are collected while parsing.
  std::set<std::string> top_keys;
  std::string repeated;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text, [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
      if (event == nlohmann::json::parse_event_t::key && depth == 1 &&
          !top_keys.insert(parsed.get<std::string>()).second && repeated.empty())
        repeated = parsed.get<std::string>();
      return true;
    });
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) throw FormatError(path, "header is not a JSON object");
  if (!repeated.empty()) throw FormatError(path, "tensor name '" + repeated + "' appears twice in the header");
  return {std::move(header), 8 + header_size, file.size() - 8 - header_size};
}

Metadata parse_metadata(const nlohmann::json& header, const std::string& path) {
  Metadata meta;
  const auto it = header.find("__metadata__");
  if (it == header.end() || it->is_null()) return meta;
  if (!it->is_object()) throw FormatError(path, "__metadata__ must be an object of strings");
  for (auto m = it->begin(); m != it->end(); ++m) {
    if (!m.value().is_string()) throw FormatError(path, "__metadata__ value for '" + m.key() + "' is not a string");
    meta[m.key()] = m.value().get<std::string>();
  }
  return meta;
}

// One tensor's entry of the header, read and checked, failing with "tensor 'NAME': problem".
struct EntryReader {
  const std::string& path;
  const std::string& name;

  [[noreturn]] void bad(const std::string& what) const { throw FormatError(path, "tensor '" + name + "': " + what); }

  Entry read(const nlohmann::json& v, uint64_t data_size) const {
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets"))
      bad("needs dtype, shape and data_offsets");
    if (!v["dtype"].is_string()) bad("dtype must be a string");
    Entry e{name, at::kFloat, {}, 0, 0};
    e.type = dtype(v["dtype"].get<std::string>());
    const uint64_t numel = shape(v["shape"], e.shape);
    offsets(v["data_offsets"], data_size, e);
    if (numel * at::elementSize(e.type) != e.end - e.begin)
      bad("shape and dtype need " + std::to_string(numel * at::elementSize(e.type)) + " bytes, offsets span " +
          std::to_string(e.end - e.begin));
    return e;
  }

  at::ScalarType dtype(const std::string& text) const {
    for (const auto& d : kDTypes)
      if (text == d.name) return d.type;
    bad("unsupported dtype '" + text + "'");
  }

  // The sizes into `dims`; the element count, refused where 8-byte elements would overflow.
  uint64_t shape(const nlohmann::json& sizes, std::vector<int64_t>& dims) const {
    if (!sizes.is_array() || sizes.size() > kMaxDims)
      bad("shape must be a list of at most " + std::to_string(kMaxDims) + " sizes");
    uint64_t numel = 1;
    for (const auto& d : sizes) {
      if (!d.is_number_unsigned()) bad("shape entries must be non-negative integers");
      const auto n = d.get<uint64_t>();
      if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          (n != 0 && numel > std::numeric_limits<uint64_t>::max() / n / 8))
        bad("shape is too large");
      numel *= n;
      dims.push_back(static_cast<int64_t>(n));
    }
    return numel;
  }

  void offsets(const nlohmann::json& off, uint64_t data_size, Entry& e) const {
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      bad("data_offsets must be two non-negative integers");
    e.begin = off[0].get<uint64_t>();
    e.end = off[1].get<uint64_t>();
    if (e.begin > e.end || e.end > data_size)
      bad("data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + ") lie outside the " +
          std::to_string(data_size) + "-byte data area");
  }
};

// The format requires the tensors to cover the data area exactly once each; sorts `entries` by offset.
void check_coverage(std::vector<Entry>& entries, uint64_t data_size, const std::string& path) {
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t cursor = 0;
  for (const auto& e : entries) {
    if (e.begin < cursor) throw FormatError(path, "tensor '" + e.name + "' overlaps the previous tensor");
    if (e.begin > cursor) throw FormatError(path, "hole in the data area before tensor '" + e.name + "'");
    cursor = e.end;
  }
  if (cursor != data_size)
    throw FormatError(
        path, std::to_string(data_size - cursor) + " bytes after the last tensor are not described by the header");
}

NamedTensors read_entries(FileReader& file, const std::vector<Entry>& entries, uint64_t data_start,
                          const std::string& path) {
  NamedTensors out;
  for (const auto& e : entries) {
    auto t = at::empty(e.shape, at::TensorOptions().dtype(e.type));
    if (e.end > e.begin) file.read_at(data_start + e.begin, t.data_ptr(), e.end - e.begin, "tensor data");
    // A bool byte other than 0 or 1 is undefined behaviour for LibTorch's kernels.
    if (e.type == at::kBool && t.numel() > 0 && t.view(at::kByte).gt(1).any().item<bool>())
      throw FormatError(path, "tensor '" + e.name + "' holds bool values other than 0 and 1");
    out.push_back({e.name, t});
  }
  return out;
}

}  // namespace

Metadata read_safetensors_metadata(const std::string& path) {
  FileReader file(path);
  return parse_metadata(read_header(file, path).json, path);
}

NamedTensors read_safetensors(const std::string& path, Metadata* metadata) {
  FileReader file(path);
  const auto parsed = read_header(file, path);
  const auto& header = parsed.json;
  Metadata meta = parse_metadata(header, path);
  std::vector<Entry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;  // parse_metadata
    entries.push_back(EntryReader{path, it.key()}.read(it.value(), parsed.data_size));
  }
  check_coverage(entries, parsed.data_size, path);
  NamedTensors out = read_entries(file, entries, parsed.data_start, path);
  if (metadata) *metadata = std::move(meta);
  return out;
}

void write_safetensors(const std::string& path, const NamedTensors& tensors, const Metadata& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<at::Tensor> data;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& nt : tensors) {
    if (!names.insert(nt.name).second) throw FormatError(path, "duplicate tensor name '" + nt.name + "'");
    if (nt.name == "__metadata__") throw FormatError(path, "'__metadata__' is reserved");
    auto t = nt.tensor.detach().to(at::kCPU).contiguous();
    const char* dtype = nullptr;
    for (const auto& d : kDTypes)
      if (t.scalar_type() == d.type) dtype = d.name;
    if (!dtype)
      throw FormatError(path, "tensor '" + nt.name + "': dtype " + at::toString(t.scalar_type()) + " cannot be stored");
    const uint64_t bytes = t.numel() * t.element_size();
    header[nt.name] = {{"dtype", dtype}, {"shape", t.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    data.push_back(t);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  unsigned char len8[8];
  for (int i = 0; i < 8; ++i) len8[i] = static_cast<unsigned char>(static_cast<uint64_t>(text.size()) >> (8 * i));
  AtomicFile out(path);
  out.write(len8, 8);
  out.write(text);
  for (const auto& t : data) out.write(t.data_ptr(), t.numel() * t.element_size());
  out.commit();
}

}  // namespace unirep::io
