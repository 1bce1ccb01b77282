// PCD (PCL's Point Cloud Data) without PCL: PCL 1.13's reader sizes its buffer from the header's
// POINTS before it looks at the data (a 130-byte ascii file claiming 10^8 points made it allocate
// 1.2 GB, measured), and linking pcl_io drags in VTK and Boost. Here a size from the header is
// used only after the file is shown to hold it.
//
// Layout (PCD v0.7; v0.5/v0.6 files lack COUNT/VIEWPOINT and work the same):
//   text header lines VERSION, FIELDS, SIZE, TYPE, COUNT, WIDTH, HEIGHT, VIEWPOINT, POINTS, DATA;
//   DATA ascii               one point per line, the fields' values in order;
//   DATA binary              points one after another, each the fields' bytes in order;
//   DATA binary_compressed   uint32 compressed size, uint32 raw size, then LZF of the raw bytes,
//                            which hold the fields one after another (all x, then all y, ...).
#include "pcd_file.h"

#include "modalities/input/quoted_text.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace unirep::modalities {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what, size_t line = 0) {
  // `what` quotes tokens of the file: escaped, so a NUL or a control byte cannot cut or break the line.
  throw std::runtime_error(path + (line ? ":" + std::to_string(line) : std::string()) + ": " + escaped_text(what, 400));
}

struct PcdField {
  std::string name;
  char type = 'F';   // F float, I signed, U unsigned
  size_t size = 4;   // bytes per value
  size_t count = 1;  // values per point
};

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

uint64_t parse_count(const std::string& tok, const std::string& path, size_t line, const char* what) {
  if (tok.empty() || tok.size() > 15 ||
      !std::all_of(tok.begin(), tok.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    fail(path, std::string(what) + " '" + tok + "' is not a valid count", line);
  return std::stoull(tok);
}

// One value of any PCD type as a double (binary data is little endian, as every writer emits it).
double binary_value(const unsigned char* p, const PcdField& f) {
  switch (f.type) {
    case 'F':
      if (f.size == 4) {
        float v;
        std::memcpy(&v, p, 4);
        return v;
      }
      {
        double v;
        std::memcpy(&v, p, 8);
        return v;
      }
    case 'I':
      switch (f.size) {
        case 1:
          return static_cast<int8_t>(p[0]);
        case 2: {
          int16_t v;
          std::memcpy(&v, p, 2);
          return v;
        }
        case 4: {
          int32_t v;
          std::memcpy(&v, p, 4);
          return v;
        }
        default: {
          int64_t v;
          std::memcpy(&v, p, 8);
          return static_cast<double>(v);
        }
      }
    default:
      switch (f.size) {
        case 1:
          return p[0];
        case 2: {
          uint16_t v;
          std::memcpy(&v, p, 2);
          return v;
        }
        case 4: {
          uint32_t v;
          std::memcpy(&v, p, 4);
          return v;
        }
        default: {
          uint64_t v;
          std::memcpy(&v, p, 8);
          return static_cast<double>(v);
        }
      }
  }
}

}  // namespace

std::string lzf_decompress(const std::string& path, const unsigned char* in, size_t size, size_t expected) {
  std::string out(expected, '\0');
  unsigned char* op = reinterpret_cast<unsigned char*>(out.data());
  size_t o = 0, i = 0;
  auto corrupt = [&](const std::string& why) { fail(path, "corrupt binary_compressed data (" + why + ")"); };
  while (i < size) {
    const unsigned ctrl = in[i++];
    if (ctrl < 32) {  // a literal run of ctrl + 1 bytes
      const size_t len = ctrl + 1;
      if (i + len > size) corrupt("a literal run past the end of the data");
      if (o + len > expected) corrupt("more bytes than the header's raw size");
      std::memcpy(op + o, in + i, len);
      i += len, o += len;
    } else {  // a back-reference: copy len bytes from `distance` bytes back (they may overlap)
      size_t len = ctrl >> 5;
      if (len == 7) {
        if (i >= size) corrupt("a back-reference cut short");
        len += in[i++];
      }
      if (i >= size) corrupt("a back-reference cut short");
      const size_t distance = ((ctrl & 0x1f) << 8) + in[i++] + 1;
      len += 2;
      if (distance > o) corrupt("a back-reference before the start");
      if (o + len > expected) corrupt("more bytes than the header's raw size");
      for (size_t k = 0; k < len; ++k, ++o) op[o] = op[o - distance];
    }
  }
  if (o != expected) corrupt(std::to_string(o) + " bytes instead of the header's " + std::to_string(expected));
  return out;
}

PointCloud read_pcd(const std::string& path, const std::string& s) {
  // Header: text lines up to and including DATA.
  std::vector<PcdField> fields;
  std::vector<std::string> sizes, types, counts;
  uint64_t width = 0, height = 1, points = 0;
  bool have_width = false, have_points = false;
  std::string data;
  size_t pos = 0, line = 0;
  while (data.empty()) {
    if (pos >= s.size()) fail(path, "a PCD header without a DATA line");
    size_t end = s.find('\n', pos);
    if (end == std::string::npos) end = s.size();
    ++line;
    const std::string text = s.substr(pos, end - pos);
    pos = std::min(end + 1, s.size());
    if (text.size() > 65536) fail(path, "a PCD header line longer than 64 KiB", line);
    const auto w = words(text);
    if (w.empty() || w[0][0] == '#') continue;
    const std::string& key = w[0];
    const std::vector<std::string> rest(w.begin() + 1, w.end());
    if (key == "VERSION" || key == "VIEWPOINT") continue;
    if (key == "FIELDS" || key == "COLUMNS") {
      if (rest.empty()) fail(path, "FIELDS names no field", line);
      fields.clear();
      for (const auto& n : rest) fields.push_back(PcdField{n});
    } else if (key == "SIZE")
      sizes = rest;
    else if (key == "TYPE")
      types = rest;
    else if (key == "COUNT")
      counts = rest;
    else if (key == "WIDTH" && rest.size() == 1)
      width = parse_count(rest[0], path, line, "WIDTH"), have_width = true;
    else if (key == "HEIGHT" && rest.size() == 1)
      height = parse_count(rest[0], path, line, "HEIGHT");
    else if (key == "POINTS" && rest.size() == 1)
      points = parse_count(rest[0], path, line, "POINTS"), have_points = true;
    else if (key == "DATA" && rest.size() == 1)
      data = rest[0];
    else
      fail(path, "unexpected PCD header line '" + text.substr(0, 80) + "'", line);
  }
  if (fields.empty()) fail(path, "the PCD header has no FIELDS line");
  if (sizes.size() != fields.size() || types.size() != fields.size())
    fail(path, "the PCD header's SIZE and TYPE must name one entry per field (" + std::to_string(fields.size()) + ")");
  if (!counts.empty() && counts.size() != fields.size())
    fail(path, "the PCD header's COUNT must name one entry per field (" + std::to_string(fields.size()) + ")");
  size_t point_step = 0, values_per_point = 0;
  std::map<std::string, size_t> index;
  for (size_t f = 0; f < fields.size(); ++f) {
    auto& fd = fields[f];
    if (types[f].size() != 1 || std::string("FIU").find(types[f][0]) == std::string::npos)
      fail(path, "field '" + fd.name + "' has unknown TYPE '" + types[f] + "'");
    fd.type = types[f][0];
    fd.size = parse_count(sizes[f], path, 0, "SIZE");
    const bool size_ok = fd.type == 'F' ? (fd.size == 4 || fd.size == 8)
                                        : (fd.size == 1 || fd.size == 2 || fd.size == 4 || fd.size == 8);
    if (!size_ok) fail(path, "field '" + fd.name + "' has TYPE " + types[f] + " with an invalid SIZE " + sizes[f]);
    fd.count = counts.empty() ? 1 : parse_count(counts[f], path, 0, "COUNT");
    if (fd.count == 0 || fd.count > 100000) fail(path, "field '" + fd.name + "' has an invalid COUNT " + counts[f]);
    point_step += fd.size * fd.count;
    values_per_point += fd.count;
    index.emplace(fd.name, f);
  }
  for (const char* axis : {"x", "y", "z"}) {
    const auto it = index.find(axis);
    if (it == index.end()) fail(path, "the PCD file has no '" + std::string(axis) + "' field");
    if (fields[it->second].count != 1)
      fail(path, "the PCD field '" + std::string(axis) + "' has COUNT " + std::to_string(fields[it->second].count));
  }
  const bool has_normals = index.count("normal_x") && index.count("normal_y") && index.count("normal_z") &&
                           fields[index["normal_x"]].count == 1 && fields[index["normal_y"]].count == 1 &&
                           fields[index["normal_z"]].count == 1;
  if (!have_width && !have_points) fail(path, "the PCD header has neither WIDTH nor POINTS");
  if (have_width && (height == 0 || width > std::numeric_limits<uint64_t>::max() / height))
    fail(path, "the PCD header's WIDTH x HEIGHT is invalid");
  if (!have_points) points = width * height;
  if (have_width && width * height != points)
    fail(path, "the PCD header's WIDTH x HEIGHT (" + std::to_string(width) + " x " + std::to_string(height) +
                   ") is not its POINTS (" + std::to_string(points) + ")");
  if (points == 0) fail(path, "no points in the file (POINTS 0)");

  const size_t remaining = s.size() - pos;
  const std::string promise = "the PCD header promises " + std::to_string(points) + " points";
  const size_t kAxes[3] = {index["x"], index["y"], index["z"]};
  const size_t kNormals[3] = {has_normals ? index["normal_x"] : 0, has_normals ? index["normal_y"] : 0,
                              has_normals ? index["normal_z"] : 0};
  PointCloud c;
  // Each point takes its own bytes in binary data; the checks below come before any allocation.
  auto fill = [&](const std::function<double(size_t point, size_t field)>& value) {
    c.xyz.resize(points);
    if (has_normals) c.normals.resize(points);
    for (size_t i = 0; i < points; ++i)
      for (int a = 0; a < 3; ++a) {
        c.xyz[i][a] = static_cast<float>(value(i, kAxes[a]));
        if (has_normals) c.normals[i][a] = static_cast<float>(value(i, kNormals[a]));
      }
  };
  if (data == "ascii") {
    // At least two characters a value ("0 "), so the count is checked against the size first.
    if (points > remaining / (2 * values_per_point) + 1)
      fail(path, promise + " but holds at most " + std::to_string(remaining / (2 * values_per_point) + 1));
    std::vector<size_t> first_value(fields.size());
    for (size_t f = 0, v = 0; f < fields.size(); v += fields[f].count, ++f) first_value[f] = v;
    std::vector<double> values;
    values.reserve(points * values_per_point);
    size_t rows = 0;
    while (pos < s.size()) {
      size_t end = s.find('\n', pos);
      if (end == std::string::npos) end = s.size();
      ++line;
      const char* p = s.data() + pos;
      const char* stop = s.data() + end;
      pos = end + 1;
      size_t got = 0;
      while (true) {
        while (p < stop && std::isspace(static_cast<unsigned char>(*p))) ++p;
        if (p >= stop) break;
        const char* tok = p;
        while (p < stop && !std::isspace(static_cast<unsigned char>(*p))) ++p;
        const std::string t(tok, p);
        char* e = nullptr;
        const double v = std::strtod(t.c_str(), &e);
        if (e != t.c_str() + t.size()) fail(path, "'" + t.substr(0, 40) + "' is not a number", line);
        if (rows >= points) fail(path, promise + " but has more rows", line);
        values.push_back(v);
        ++got;
      }
      if (got == 0) continue;
      if (got != values_per_point)
        fail(path, "a row of " + std::to_string(got) + " values; the fields need " + std::to_string(values_per_point),
             line);
      ++rows;
    }
    if (rows != points) fail(path, promise + " but has " + std::to_string(rows));
    fill([&](size_t i, size_t f) { return values[i * values_per_point + first_value[f]]; });
  } else if (data == "binary") {
    if (points > remaining / point_step)
      fail(path, promise + " (" + std::to_string(point_step) + " bytes each) but holds " + std::to_string(remaining) +
                     " bytes of data");
    std::vector<size_t> offset(fields.size());
    for (size_t f = 0, o = 0; f < fields.size(); o += fields[f].size * fields[f].count, ++f) offset[f] = o;
    const auto* base = reinterpret_cast<const unsigned char*>(s.data() + pos);
    fill([&](size_t i, size_t f) { return binary_value(base + i * point_step + offset[f], fields[f]); });
  } else if (data == "binary_compressed") {
    if (remaining < 8) fail(path, "binary_compressed data shorter than its 8-byte size header");
    uint32_t packed = 0, raw = 0;
    std::memcpy(&packed, s.data() + pos, 4);
    std::memcpy(&raw, s.data() + pos + 4, 4);
    if (packed > remaining - 8)
      fail(path, "binary_compressed data claims " + std::to_string(packed) + " bytes but " +
                     std::to_string(remaining - 8) + " follow");
    if (points > raw / point_step || raw != points * point_step)
      fail(path, promise + " (" + std::to_string(points * point_step) + " bytes) but the compressed block holds " +
                     std::to_string(raw));
    // LZF turns at most 3 bytes into 264, so a larger raw size is a lie told before allocating it.
    if (raw / 88 > packed)
      fail(path, "binary_compressed raw size " + std::to_string(raw) + " cannot come from " + std::to_string(packed) +
                     " bytes");
    const std::string bytes =
        lzf_decompress(path, reinterpret_cast<const unsigned char*>(s.data() + pos + 8), packed, raw);
    std::vector<size_t> offset(fields.size());
    for (size_t f = 0, o = 0; f < fields.size(); o += fields[f].size * fields[f].count * points, ++f) offset[f] = o;
    const auto* base = reinterpret_cast<const unsigned char*>(bytes.data());
    fill([&](size_t i, size_t f) {
      return binary_value(base + offset[f] + i * fields[f].size * fields[f].count, fields[f]);
    });
  } else {
    fail(path, "unknown PCD DATA '" + data + "' (ascii, binary or binary_compressed)");
  }
  return c;
}

}  // namespace unirep::modalities
