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

// One read of a file, a step per method: the header lines up to DATA, the fields and point count
// checked, then the data in its layout turned into points (sizes from the header are trusted only
// once the file is shown to hold them).
class PcdReader {
 public:
  PcdReader(const std::string& path, const std::string& s) : path_(path), s_(s) {}
  PointCloud read();

 private:
  void read_header();
  void read_header_line(const std::string& text);
  void check_fields();
  void check_axes();
  void check_point_count();
  std::string promise() const { return "the PCD header promises " + std::to_string(points_) + " points"; }
  // Each point takes its own bytes in binary data; the checks before any call come before any allocation.
  void fill(const std::function<double(size_t point, size_t field)>& value);
  void read_ascii();
  size_t read_ascii_row(const char* p, const char* stop, size_t rows, std::vector<double>& values);
  void read_binary();
  void read_binary_compressed();

  const std::string& path_;
  const std::string& s_;
  // The header as written.
  std::vector<PcdField> fields_;
  std::vector<std::string> sizes_, types_, counts_;
  uint64_t width_ = 0, height_ = 1, points_ = 0;
  bool have_width_ = false, have_points_ = false;
  std::string data_;
  size_t pos_ = 0, line_ = 0;  // where reading is, and the line it is on
  // The layout the fields make.
  size_t point_step_ = 0, values_per_point_ = 0;
  std::map<std::string, size_t> index_;
  bool has_normals_ = false;
  PointCloud cloud_;
};

PointCloud PcdReader::read() {
  read_header();
  check_fields();
  check_axes();
  check_point_count();
  if (data_ == "ascii")
    read_ascii();
  else if (data_ == "binary")
    read_binary();
  else if (data_ == "binary_compressed")
    read_binary_compressed();
  else
    fail(path_, "unknown PCD DATA '" + data_ + "' (ascii, binary or binary_compressed)");
  return std::move(cloud_);
}

// Header: text lines up to and including DATA.
void PcdReader::read_header() {
  while (data_.empty()) {
    if (pos_ >= s_.size()) fail(path_, "a PCD header without a DATA line");
    size_t end = s_.find('\n', pos_);
    if (end == std::string::npos) end = s_.size();
    ++line_;
    const std::string text = s_.substr(pos_, end - pos_);
    pos_ = std::min(end + 1, s_.size());
    if (text.size() > 65536) fail(path_, "a PCD header line longer than 64 KiB", line_);
    read_header_line(text);
  }
}

void PcdReader::read_header_line(const std::string& text) {
  const auto w = words(text);
  if (w.empty() || w[0][0] == '#') return;
  const std::string& key = w[0];
  const std::vector<std::string> rest(w.begin() + 1, w.end());
  if (key == "VERSION" || key == "VIEWPOINT") return;
  if (key == "FIELDS" || key == "COLUMNS") {
    if (rest.empty()) fail(path_, "FIELDS names no field", line_);
    fields_.clear();
    for (const auto& n : rest) fields_.push_back(PcdField{n});
  } else if (key == "SIZE")
    sizes_ = rest;
  else if (key == "TYPE")
    types_ = rest;
  else if (key == "COUNT")
    counts_ = rest;
  else if (key == "WIDTH" && rest.size() == 1)
    width_ = parse_count(rest[0], path_, line_, "WIDTH"), have_width_ = true;
  else if (key == "HEIGHT" && rest.size() == 1)
    height_ = parse_count(rest[0], path_, line_, "HEIGHT");
  else if (key == "POINTS" && rest.size() == 1)
    points_ = parse_count(rest[0], path_, line_, "POINTS"), have_points_ = true;
  else if (key == "DATA" && rest.size() == 1)
    data_ = rest[0];
  else
    fail(path_, "unexpected PCD header line '" + text.substr(0, 80) + "'", line_);
}

void PcdReader::check_fields() {
  if (fields_.empty()) fail(path_, "the PCD header has no FIELDS line");
  if (sizes_.size() != fields_.size() || types_.size() != fields_.size())
    fail(path_,
         "the PCD header's SIZE and TYPE must name one entry per field (" + std::to_string(fields_.size()) + ")");
  if (!counts_.empty() && counts_.size() != fields_.size())
    fail(path_, "the PCD header's COUNT must name one entry per field (" + std::to_string(fields_.size()) + ")");
  for (size_t f = 0; f < fields_.size(); ++f) {
    auto& fd = fields_[f];
    if (types_[f].size() != 1 || std::string("FIU").find(types_[f][0]) == std::string::npos)
      fail(path_, "field '" + fd.name + "' has unknown TYPE '" + types_[f] + "'");
    fd.type = types_[f][0];
    fd.size = parse_count(sizes_[f], path_, 0, "SIZE");
    const bool size_ok = fd.type == 'F' ? (fd.size == 4 || fd.size == 8)
                                        : (fd.size == 1 || fd.size == 2 || fd.size == 4 || fd.size == 8);
    if (!size_ok) fail(path_, "field '" + fd.name + "' has TYPE " + types_[f] + " with an invalid SIZE " + sizes_[f]);
    fd.count = counts_.empty() ? 1 : parse_count(counts_[f], path_, 0, "COUNT");
    if (fd.count == 0 || fd.count > 100000) fail(path_, "field '" + fd.name + "' has an invalid COUNT " + counts_[f]);
    point_step_ += fd.size * fd.count;
    values_per_point_ += fd.count;
    index_.emplace(fd.name, f);
  }
}

void PcdReader::check_axes() {
  for (const char* axis : {"x", "y", "z"}) {
    const auto it = index_.find(axis);
    if (it == index_.end()) fail(path_, "the PCD file has no '" + std::string(axis) + "' field");
    if (fields_[it->second].count != 1)
      fail(path_, "the PCD field '" + std::string(axis) + "' has COUNT " + std::to_string(fields_[it->second].count));
  }
  has_normals_ = index_.count("normal_x") && index_.count("normal_y") && index_.count("normal_z") &&
                 fields_[index_["normal_x"]].count == 1 && fields_[index_["normal_y"]].count == 1 &&
                 fields_[index_["normal_z"]].count == 1;
}

void PcdReader::check_point_count() {
  if (!have_width_ && !have_points_) fail(path_, "the PCD header has neither WIDTH nor POINTS");
  if (have_width_ && (height_ == 0 || width_ > std::numeric_limits<uint64_t>::max() / height_))
    fail(path_, "the PCD header's WIDTH x HEIGHT is invalid");
  if (!have_points_) points_ = width_ * height_;
  if (have_width_ && width_ * height_ != points_)
    fail(path_, "the PCD header's WIDTH x HEIGHT (" + std::to_string(width_) + " x " + std::to_string(height_) +
                    ") is not its POINTS (" + std::to_string(points_) + ")");
  if (points_ == 0) fail(path_, "no points in the file (POINTS 0)");
}

void PcdReader::fill(const std::function<double(size_t point, size_t field)>& value) {
  const size_t kAxes[3] = {index_["x"], index_["y"], index_["z"]};
  const size_t kNormals[3] = {has_normals_ ? index_["normal_x"] : 0, has_normals_ ? index_["normal_y"] : 0,
                              has_normals_ ? index_["normal_z"] : 0};
  cloud_.xyz.resize(points_);
  if (has_normals_) cloud_.normals.resize(points_);
  for (size_t i = 0; i < points_; ++i)
    for (int a = 0; a < 3; ++a) {
      cloud_.xyz[i][a] = static_cast<float>(value(i, kAxes[a]));
      if (has_normals_) cloud_.normals[i][a] = static_cast<float>(value(i, kNormals[a]));
    }
}

void PcdReader::read_ascii() {
  const size_t remaining = s_.size() - pos_;
  // At least two characters a value ("0 "), so the count is checked against the size first.
  if (points_ > remaining / (2 * values_per_point_) + 1)
    fail(path_, promise() + " but holds at most " + std::to_string(remaining / (2 * values_per_point_) + 1));
  std::vector<size_t> first_value(fields_.size());
  for (size_t f = 0, v = 0; f < fields_.size(); v += fields_[f].count, ++f) first_value[f] = v;
  std::vector<double> values;
  values.reserve(points_ * values_per_point_);
  size_t rows = 0;
  while (pos_ < s_.size()) {
    size_t end = s_.find('\n', pos_);
    if (end == std::string::npos) end = s_.size();
    ++line_;
    const char* p = s_.data() + pos_;
    pos_ = end + 1;
    const size_t got = read_ascii_row(p, s_.data() + end, rows, values);
    if (got == 0) continue;
    if (got != values_per_point_)
      fail(path_, "a row of " + std::to_string(got) + " values; the fields need " + std::to_string(values_per_point_),
           line_);
    ++rows;
  }
  if (rows != points_) fail(path_, promise() + " but has " + std::to_string(rows));
  fill([&](size_t i, size_t f) { return values[i * values_per_point_ + first_value[f]]; });
}

// The numbers of one line appended to `values`; how many there were.
size_t PcdReader::read_ascii_row(const char* p, const char* stop, size_t rows, std::vector<double>& values) {
  size_t got = 0;
  while (true) {
    while (p < stop && std::isspace(static_cast<unsigned char>(*p))) ++p;
    if (p >= stop) break;
    const char* tok = p;
    while (p < stop && !std::isspace(static_cast<unsigned char>(*p))) ++p;
    const std::string t(tok, p);
    char* e = nullptr;
    const double v = std::strtod(t.c_str(), &e);
    if (e != t.c_str() + t.size()) fail(path_, "'" + t.substr(0, 40) + "' is not a number", line_);
    if (rows >= points_) fail(path_, promise() + " but has more rows", line_);
    values.push_back(v);
    ++got;
  }
  return got;
}

void PcdReader::read_binary() {
  const size_t remaining = s_.size() - pos_;
  if (points_ > remaining / point_step_)
    fail(path_, promise() + " (" + std::to_string(point_step_) + " bytes each) but holds " + std::to_string(remaining) +
                    " bytes of data");
  std::vector<size_t> offset(fields_.size());
  for (size_t f = 0, o = 0; f < fields_.size(); o += fields_[f].size * fields_[f].count, ++f) offset[f] = o;
  const auto* base = reinterpret_cast<const unsigned char*>(s_.data() + pos_);
  fill([&](size_t i, size_t f) { return binary_value(base + i * point_step_ + offset[f], fields_[f]); });
}

void PcdReader::read_binary_compressed() {
  const size_t remaining = s_.size() - pos_;
  if (remaining < 8) fail(path_, "binary_compressed data shorter than its 8-byte size header");
  uint32_t packed = 0, raw = 0;
  std::memcpy(&packed, s_.data() + pos_, 4);
  std::memcpy(&raw, s_.data() + pos_ + 4, 4);
  if (packed > remaining - 8)
    fail(path_, "binary_compressed data claims " + std::to_string(packed) + " bytes but " +
                    std::to_string(remaining - 8) + " follow");
  if (points_ > raw / point_step_ || raw != points_ * point_step_)
    fail(path_, promise() + " (" + std::to_string(points_ * point_step_) + " bytes) but the compressed block holds " +
                    std::to_string(raw));
  // LZF turns at most 3 bytes into 264, so a larger raw size is a lie told before allocating it.
  if (raw / 88 > packed)
    fail(path_, "binary_compressed raw size " + std::to_string(raw) + " cannot come from " + std::to_string(packed) +
                    " bytes");
  const std::string bytes =
      lzf_decompress(path_, reinterpret_cast<const unsigned char*>(s_.data() + pos_ + 8), packed, raw);
  std::vector<size_t> offset(fields_.size());
  for (size_t f = 0, o = 0; f < fields_.size(); o += fields_[f].size * fields_[f].count * points_, ++f) offset[f] = o;
  const auto* base = reinterpret_cast<const unsigned char*>(bytes.data());
  fill([&](size_t i, size_t f) {
    return binary_value(base + offset[f] + i * fields_[f].size * fields_[f].count, fields_[f]);
  });
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
  return PcdReader(path, s).read();
}

}  // namespace unirep::modalities
