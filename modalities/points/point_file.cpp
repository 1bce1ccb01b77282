#include "modalities/points/point_file.h"
#include "modalities/input/quoted_text.h"

#include "pcd_file.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace unirep::modalities {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what, size_t line = 0) {
  // `what` quotes tokens of the file: escaped, so a NUL or a control byte cannot cut or break the line.
  throw std::runtime_error(path + (line ? ":" + std::to_string(line) : std::string()) + ": " + escaped_text(what, 400));
}

std::string lower_ext(const std::string& path) {
  const auto dot = path.find_last_of('.');
  std::string e = dot == std::string::npos ? "" : path.substr(dot + 1);
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

bool finite3(const std::array<float, 3>& p) {
  return std::isfinite(p[0]) && std::isfinite(p[1]) && std::isfinite(p[2]);
}

// A text cursor over the whole file that counts lines.
struct Text {
  const std::string& s;
  size_t i = 0, line = 1;
  void skip_space() {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) line += s[i++] == '\n';
  }
  bool next_token(std::string& out) {
    skip_space();
    if (i >= s.size()) return false;
    const size_t a = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    out.assign(s, a, i - a);
    return true;
  }
};

double to_number(const std::string& tok, const std::string& path, size_t line) {
  char* end = nullptr;
  const double v = std::strtod(tok.c_str(), &end);
  if (tok.empty() || end != tok.c_str() + tok.size()) fail(path, "'" + tok + "' is not a number", line);
  return v;
}

uint64_t to_count(const std::string& tok, const std::string& path, size_t line) {
  if (tok.empty() ||
      !std::all_of(tok.begin(), tok.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
      tok.size() > 15)
    fail(path, "'" + tok + "' is not a valid count", line);
  return std::stoull(tok);
}

void add_polygon(PointCloud& c, const std::vector<uint64_t>& idx, size_t vertices, const std::string& path,
                 size_t line) {
  for (auto v : idx)
    if (v >= vertices) fail(path, "a face names vertex " + std::to_string(v) + " of " + std::to_string(vertices), line);
  for (size_t k = 1; k + 1 < idx.size(); ++k)
    c.triangles.push_back(
        {static_cast<uint32_t>(idx[0]), static_cast<uint32_t>(idx[k]), static_cast<uint32_t>(idx[k + 1])});
}

// Drops non-finite vertices of a point cloud (meshes keep them so face indices stay valid, and
// fail if a face uses one).
void drop_non_finite(PointCloud& c, const std::string& path) {
  if (c.is_mesh()) {
    for (const auto& t : c.triangles)
      for (auto v : t)
        if (!finite3(c.xyz[v])) fail(path, "a face uses a vertex that is NaN or infinite");
    return;
  }
  PointCloud out;
  for (size_t i = 0; i < c.xyz.size(); ++i) {
    if (!finite3(c.xyz[i])) {
      ++out.dropped_non_finite;
      continue;
    }
    out.xyz.push_back(c.xyz[i]);
    if (!c.normals.empty()) out.normals.push_back(c.normals[i]);
  }
  out.dropped_non_finite += c.dropped_non_finite;
  c = std::move(out);
}

// The lines of an OFF file that hold anything once '#' comments are cut off, one at a time: a file
// of short lines is never held as a list of token lists, which took 25 times the file's size
// (docs/points.md, Limits).
struct OffLines {
  const std::string& s;
  size_t pos = 0, line_no = 0;
  // The next such line's number and tokens; false at the end of the file.
  bool next(size_t& number, std::vector<std::string>& tokens) {
    while (pos <= s.size()) {
      size_t end = s.find('\n', pos);
      if (end == std::string::npos) end = s.size();
      ++line_no;
      const size_t hash = s.find('#', pos);
      const size_t stop = hash < end ? hash : end;
      tokens.clear();
      for (size_t i = pos; i < stop;) {
        while (i < stop && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        const size_t a = i;
        while (i < stop && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        if (i > a) tokens.emplace_back(s, a, i - a);
      }
      pos = end + 1;
      if (!tokens.empty()) {
        number = line_no;
        return true;
      }
    }
    return false;
  }
  // How many such lines are left, counting no further than `enough`.
  uint64_t count_left(uint64_t enough) const {
    OffLines copy = *this;
    size_t n = 0;
    std::vector<std::string> tokens;
    uint64_t k = 0;
    while (k <= enough && copy.next(n, tokens)) ++k;
    return k;
  }
};

// OFF as found in the wild: '#' comments anywhere, the [ST][C][N][4]OFF header variants (colours
// and normals after the coordinates are ignored), counts on the header line or the next one, and
// ModelNet's "OFF490 518 0" with the count glued on. Line-based: a vertex is the first three
// numbers of its line, a face the first 1 + k numbers of its line.
PointCloud read_off(const std::string& path, const std::string& s) {
  OffLines lines{s};
  size_t n = 0;
  std::vector<std::string> header, tok;
  if (!lines.next(n, header)) fail(path, "no OFF header");
  const std::string& kw = header[0];
  const auto off_at = kw.find("OFF");
  if (off_at == std::string::npos || kw.find_first_not_of("STCN4n") < off_at) fail(path, "not an OFF file", n);
  // Only the prefix says 4-D or n-D: ModelNet's "OFF490" has a 4 in its glued-on count.
  if (kw.find('4') < off_at || kw.find('n') < off_at) fail(path, "4-D and n-D OFF files are not supported", n);
  std::vector<std::string> counts;
  if (kw.size() > off_at + 3) counts.push_back(kw.substr(off_at + 3));  // "OFF490"
  counts.insert(counts.end(), header.begin() + 1, header.end());
  if (counts.empty() && !lines.next(n, counts)) fail(path, "the header has no counts");
  if (counts.size() < 2) fail(path, "the header needs vertex and face counts", n);
  const size_t count_line = n;
  const uint64_t nv = to_count(counts[0], path, count_line), nf = to_count(counts[1], path, count_line);
  // Never trust the counts: one line per vertex and per face must be there.
  if (lines.count_left(nv + nf) < nv + nf)
    fail(path, "the header promises " + std::to_string(nv) + " vertices and " + std::to_string(nf) +
                   " faces, more than the file holds");
  PointCloud c;
  c.xyz.resize(nv);
  for (uint64_t v = 0; v < nv; ++v) {
    lines.next(n, tok);
    if (tok.size() < 3) fail(path, "a vertex needs three coordinates", n);
    for (int a = 0; a < 3; ++a) c.xyz[v][a] = static_cast<float>(to_number(tok[static_cast<size_t>(a)], path, n));
  }
  for (uint64_t f = 0; f < nf; ++f) {
    lines.next(n, tok);
    const uint64_t k = to_count(tok[0], path, n);
    if (tok.size() < k + 1) fail(path, "a face lists fewer than its " + std::to_string(k) + " vertices", n);
    std::vector<uint64_t> idx(k);
    for (uint64_t i = 0; i < k; ++i) idx[i] = to_count(tok[i + 1], path, n);
    add_polygon(c, idx, nv, path, n);
  }
  return c;
}

PointCloud read_obj(const std::string& path, const std::string& s) {
  PointCloud c;
  // Faces may name vertices listed after them, so they wait until the end; kept flat (every index,
  // then where each face starts) because a list per face took ten times the file's size.
  std::vector<uint64_t> face_index;
  std::vector<size_t> face_start, face_lines;
  std::istringstream in(s);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::istringstream ls(line);
    std::string kind;
    ls >> kind;
    if (kind == "v") {
      std::array<float, 3> p{};
      std::string tok;
      for (auto& a : p) {
        if (!(ls >> tok)) fail(path, "a vertex needs three coordinates", n);
        a = static_cast<float>(to_number(tok, path, n));
      }
      c.xyz.push_back(p);
    } else if (kind == "f") {
      face_start.push_back(face_index.size());
      std::string tok;
      while (ls >> tok) {
        const std::string first = tok.substr(0, tok.find('/'));
        char* end = nullptr;
        const long long v = std::strtoll(first.c_str(), &end, 10);
        if (first.empty() || end != first.c_str() + first.size() || v == 0)
          fail(path, "bad face index '" + tok + "'", n);
        // Negative indices count back from the latest vertex.
        const long long abs_index = v > 0 ? v - 1 : static_cast<long long>(c.xyz.size()) + v;
        if (abs_index < 0) fail(path, "bad face index '" + tok + "'", n);
        face_index.push_back(static_cast<uint64_t>(abs_index));
      }
      face_lines.push_back(n);
    }
  }
  std::vector<uint64_t> idx;
  for (size_t f = 0; f < face_start.size(); ++f) {
    const size_t end = f + 1 < face_start.size() ? face_start[f + 1] : face_index.size();
    idx.assign(face_index.begin() + static_cast<std::ptrdiff_t>(face_start[f]),
               face_index.begin() + static_cast<std::ptrdiff_t>(end));
    add_polygon(c, idx, c.xyz.size(), path, face_lines[f]);
  }
  return c;
}

PointCloud read_xyz(const std::string& path, const std::string& s) {
  PointCloud c;
  std::istringstream in(s);
  std::string line;
  size_t n = 0, width = 0;
  while (std::getline(in, line)) {
    ++n;
    for (auto& ch : line)
      if (ch == ',' || ch == ';' || ch == '\t' || ch == '\r') ch = ' ';
    std::istringstream ls(line);
    std::vector<double> v;
    std::string tok;
    if (n == 1) {  // a CSV header ("x,y,z,...") is skipped
      std::istringstream peek(line);
      std::string first;
      if (peek >> first && std::isalpha(static_cast<unsigned char>(first[0])) && first != "nan" && first != "NaN")
        continue;
    }
    while (ls >> tok) {
      // NaN rows are kept as NaN here and dropped (and counted) afterwards.
      if (tok == "nan" || tok == "NaN" || tok == "-nan")
        v.push_back(std::nan(""));
      else
        v.push_back(to_number(tok, path, n));
    }
    if (v.empty()) continue;
    if (v.size() < 3) fail(path, "a row needs at least x y z", n);
    if (width == 0)
      width = v.size();
    else if (v.size() != width)
      fail(path, "has " + std::to_string(v.size()) + " values, earlier rows have " + std::to_string(width), n);
    c.xyz.push_back({static_cast<float>(v[0]), static_cast<float>(v[1]), static_cast<float>(v[2])});
    if (width >= 6) c.normals.push_back({static_cast<float>(v[3]), static_cast<float>(v[4]), static_cast<float>(v[5])});
  }
  return c;
}

// PLY: header, then elements in order; we keep vertex x/y/z (+ nx/ny/nz) and face vertex lists.
struct PlyProperty {
  std::string name, type, count_type;  // count_type non-empty: a list
};
struct PlyElement {
  std::string name;
  uint64_t count = 0;
  std::vector<PlyProperty> props;
};

size_t ply_size(const std::string& t, const std::string& path) {
  static const std::map<std::string, size_t> sizes = {{"char", 1},  {"uchar", 1},   {"int8", 1},   {"uint8", 1},
                                                      {"short", 2}, {"ushort", 2},  {"int16", 2},  {"uint16", 2},
                                                      {"int", 4},   {"uint", 4},    {"int32", 4},  {"uint32", 4},
                                                      {"float", 4}, {"float32", 4}, {"double", 8}, {"float64", 8}};
  const auto it = sizes.find(t);
  if (it == sizes.end()) fail(path, "unknown PLY type '" + t + "'");
  return it->second;
}

double ply_binary_value(const char* p, const std::string& t, bool swap) {
  unsigned char b[8];
  const size_t n = t == "double" || t == "float64"                                                                  ? 8
                   : (t == "float" || t == "float32" || t == "int" || t == "uint" || t == "int32" || t == "uint32") ? 4
                   : (t == "short" || t == "ushort" || t == "int16" || t == "uint16")                               ? 2
                                                                                                                    : 1;
  std::memcpy(b, p, n);
  if (swap) std::reverse(b, b + n);
  if (t == "float" || t == "float32") {
    float v;
    std::memcpy(&v, b, 4);
    return v;
  }
  if (t == "double" || t == "float64") {
    double v;
    std::memcpy(&v, b, 8);
    return v;
  }
  if (t == "int" || t == "int32") {
    int32_t v;
    std::memcpy(&v, b, 4);
    return v;
  }
  if (t == "uint" || t == "uint32") {
    uint32_t v;
    std::memcpy(&v, b, 4);
    return v;
  }
  if (t == "short" || t == "int16") {
    int16_t v;
    std::memcpy(&v, b, 2);
    return v;
  }
  if (t == "ushort" || t == "uint16") {
    uint16_t v;
    std::memcpy(&v, b, 2);
    return v;
  }
  if (t == "char" || t == "int8") return static_cast<int8_t>(b[0]);
  return b[0];
}

// The header: the format and the elements with their properties, up to end_header.
struct PlyHeader {
  std::string format;
  std::vector<PlyElement> elements;
  size_t body = 0;   // where the data starts
  size_t lines = 0;  // the header's lines before end_header
};

PlyHeader read_ply_header(const std::string& path, const std::string& s) {
  const size_t end_header = s.find("end_header");
  if (end_header == std::string::npos) fail(path, "a PLY header without end_header");
  PlyHeader h;
  h.body = s.find('\n', end_header);
  if (h.body == std::string::npos) fail(path, "nothing after the PLY header");
  ++h.body;
  std::istringstream hs(s.substr(0, end_header));
  std::string line;
  size_t& n = h.lines;
  while (std::getline(hs, line)) {
    ++n;
    std::istringstream ls(line);
    std::string kw;
    ls >> kw;
    if (kw == "format")
      ls >> h.format;
    else if (kw == "element") {
      PlyElement e;
      std::string count;
      ls >> e.name >> count;
      e.count = to_count(count, path, n);
      h.elements.push_back(e);
    } else if (kw == "property") {
      if (h.elements.empty()) fail(path, "a property before any element", n);
      PlyProperty p;
      ls >> p.type;
      if (p.type == "list") ls >> p.count_type >> p.type;
      ls >> p.name;
      ply_size(p.type, path);
      if (!p.count_type.empty()) ply_size(p.count_type, path);
      h.elements.back().props.push_back(p);
    }
  }
  return h;
}

// Never trust the counts: each element needs at least its fixed-size part (binary) or 2 bytes
// per value (ascii) in what is left of the file.
void check_ply_counts(const PlyHeader& h, bool ascii, const std::string& path, const std::string& s) {
  uint64_t need = 0;
  for (const auto& e : h.elements) {
    uint64_t per = 0;
    for (const auto& p : e.props)
      per += ascii ? 2 : (p.count_type.empty() ? ply_size(p.type, path) : ply_size(p.count_type, path));
    // Rows of no bytes could be promised without end (found by fuzzing: a 'vertex' element without
    // properties claiming 6.7e11 vertices made us allocate 8 TB).
    if (e.count > 0 && e.props.empty()) fail(path, "element '" + e.name + "' has no properties");
    if (per && e.count > (s.size() - h.body) / per + 1)
      fail(path, "the header promises " + std::to_string(e.count) + " " + e.name + "s, more than the file holds");
    if (e.name == "vertex") {
      bool x = false, y = false, z = false;
      for (const auto& p : e.props) x |= p.name == "x", y |= p.name == "y", z |= p.name == "z";
      if (!(x && y && z)) fail(path, "the vertex element has no x, y and z properties");
    }
    need += e.count * per;
  }
  if (need > s.size() - h.body + 1) fail(path, "the header promises more data than the file holds");
}

// The data after the header, element by element; vertex x/y/z (+ nx/ny/nz) and face vertex lists
// are kept, everything else is read past.
class PlyBody {
 public:
  PlyBody(const std::string& path, const std::string& s, const PlyHeader& h, bool ascii, bool swap)
      : path_(path), s_(s), ascii_(ascii), swap_(swap), pos_(h.body), t_{s} {
    t_.i = h.body;
    t_.line = h.lines + 2;
  }
  void read_element(const PlyElement& e, PointCloud& c);

 private:
  double read_value(const std::string& type);
  void read_list(const PlyProperty& p, bool is_face, PointCloud& c);

  const std::string& path_;
  const std::string& s_;
  const bool ascii_, swap_;
  size_t pos_;  // binary: the next value
  Text t_;      // ascii: the next token
  uint64_t vertex_count_ = 0;
};

double PlyBody::read_value(const std::string& type) {
  if (ascii_) {
    std::string tok;
    if (!t_.next_token(tok)) fail(path_, "ends early (truncated)", t_.line);
    return to_number(tok, path_, t_.line);
  }
  const size_t sz = ply_size(type, path_);
  if (pos_ + sz > s_.size()) fail(path_, "ends early (truncated binary data)");
  const double v = ply_binary_value(s_.data() + pos_, type, swap_);
  pos_ += sz;
  return v;
}

void PlyBody::read_element(const PlyElement& e, PointCloud& c) {
  const bool is_vertex = e.name == "vertex", is_face = e.name == "face";
  if (is_vertex) vertex_count_ = e.count, c.xyz.resize(e.count);
  // Normals only when all of nx, ny and nz are there: a file with ny alone is read without them.
  int normal_axes = 0;
  for (const auto& p : e.props) normal_axes += is_vertex && (p.name == "nx" || p.name == "ny" || p.name == "nz");
  const bool has_normals = normal_axes == 3;
  if (has_normals) c.normals.resize(e.count);
  for (uint64_t r = 0; r < e.count; ++r) {
    for (const auto& p : e.props) {
      if (!p.count_type.empty()) {
        read_list(p, is_face, c);
        continue;
      }
      const double v = read_value(p.type);
      if (!is_vertex) continue;
      if (p.name == "x")
        c.xyz[r][0] = static_cast<float>(v);
      else if (p.name == "y")
        c.xyz[r][1] = static_cast<float>(v);
      else if (p.name == "z")
        c.xyz[r][2] = static_cast<float>(v);
      else if (!has_normals)
        continue;
      else if (p.name == "nx")
        c.normals[r][0] = static_cast<float>(v);
      else if (p.name == "ny")
        c.normals[r][1] = static_cast<float>(v);
      else if (p.name == "nz")
        c.normals[r][2] = static_cast<float>(v);
    }
  }
}

void PlyBody::read_list(const PlyProperty& p, bool is_face, PointCloud& c) {
  const double k = read_value(p.count_type);
  // Written so that NaN fails too (found by fuzzing: a NaN count was cast to an integer).
  if (!(k >= 0 && k <= 1000000 && k == std::floor(k))) fail(path_, "a list of " + std::to_string(k) + " entries");
  std::vector<uint64_t> idx(static_cast<size_t>(k));
  for (auto& v : idx) {
    const double x = read_value(p.type);
    if (!(x >= 0 && x < 4294967296.0 && x == std::floor(x)))
      fail(path_, "'" + std::to_string(x) + "' is not a vertex index");
    v = static_cast<uint64_t>(x);
  }
  if (is_face && (p.name == "vertex_indices" || p.name == "vertex_index"))
    add_polygon(c, idx, vertex_count_, path_, ascii_ ? t_.line : 0);
}

PointCloud read_ply(const std::string& path, const std::string& s) {
  const PlyHeader h = read_ply_header(path, s);
  const bool ascii = h.format == "ascii";
  const bool swap = h.format == "binary_big_endian";  // this machine is little endian
  if (!ascii && h.format != "binary_little_endian" && !swap) fail(path, "unknown PLY format '" + h.format + "'");
  check_ply_counts(h, ascii, path, s);
  PointCloud c;
  PlyBody body(path, s, h, ascii, swap);
  for (const auto& e : h.elements) body.read_element(e, c);
  return c;
}

}  // namespace

PointCloud read_point_file(const std::string& path, const InputLimits& limits) {
  // Bounded for any path: a size limit, and a wait limit for FIFOs (docs/points.md, Limits).
  const std::string s = read_input_bytes(path, limits);
  if (s.empty()) fail(path, "the file is empty");
  const std::string ext = lower_ext(path);
  PointCloud c;
  // The first word that is not in a '#' comment decides OFF ("OFF", "COFF", "NOFF", "OFF490", ...).
  std::string first_word;
  {
    std::istringstream in(s.substr(0, 4096));
    for (std::string line; first_word.empty() && std::getline(in, line);) {
      const auto hash = line.find('#');
      if (hash != std::string::npos) line.erase(hash);
      std::istringstream ls(line);
      ls >> first_word;
    }
  }
  const auto off_at = first_word.find("OFF");
  const bool looks_off = off_at != std::string::npos && first_word.find_first_not_of("STCN4n") >= off_at;
  if (looks_off || (ext == "off" && s.compare(0, 3, "ply") != 0))
    c = read_off(path, s);
  else if (s.compare(0, 3, "ply") == 0)
    c = read_ply(path, s);
  else if (ext == "pcd" || s.compare(0, 6, "# .PCD") == 0 || first_word == "VERSION" || first_word == "FIELDS")
    c = read_pcd(path, s);
  else if (ext == "obj" || s.compare(0, 2, "v ") == 0)
    c = read_obj(path, s);
  else if (ext == "ply")
    fail(path, "not a valid ply file (bad signature)");
  else
    c = read_xyz(path, s);
  drop_non_finite(c, path);
  if (c.xyz.empty()) fail(path, c.dropped_non_finite ? "every point is NaN or infinite" : "no points in the file");
  return c;
}

PointCloud sample_mesh_surface(const PointCloud& mesh, size_t count, uint64_t seed) {
  std::vector<double> cumulative;
  std::vector<std::array<float, 3>> face_normals;
  double total = 0;
  for (const auto& t : mesh.triangles) {
    const auto &a = mesh.xyz[t[0]], &b = mesh.xyz[t[1]], &c = mesh.xyz[t[2]];
    const double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]}, v[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    const double n[3] = {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
    const double len = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    total += 0.5 * len;
    cumulative.push_back(total);
    face_normals.push_back(len > 0
                               ? std::array<float, 3>{static_cast<float>(n[0] / len), static_cast<float>(n[1] / len),
                                                      static_cast<float>(n[2] / len)}
                               : std::array<float, 3>{0, 0, 0});
  }
  if (!(total > 0)) throw std::invalid_argument("the mesh has no surface (no triangle of positive area)");
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  PointCloud out;
  out.xyz.reserve(count);
  out.normals.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const double r = U(rng) * total;
    const size_t f =
        std::min(static_cast<size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), r) - cumulative.begin()),
                 cumulative.size() - 1);
    const auto& t = mesh.triangles[f];
    const double s1 = std::sqrt(U(rng)), r2 = U(rng);
    const double wa = 1 - s1, wb = s1 * (1 - r2), wc = s1 * r2;
    std::array<float, 3> p{};
    for (int a = 0; a < 3; ++a)
      p[a] = static_cast<float>(wa * mesh.xyz[t[0]][a] + wb * mesh.xyz[t[1]][a] + wc * mesh.xyz[t[2]][a]);
    out.xyz.push_back(p);
    out.normals.push_back(face_normals[f]);
  }
  return out;
}

}  // namespace unirep::modalities
