#include "modalities/timeseries/series_csv.h"

#include "modalities/input/input_file.h"
#include "modalities/input/quoted_text.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <stdexcept>

namespace unirep::modalities {
namespace {

constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

[[noreturn]] void fail(const std::string& path, size_t line, const std::string& what) {
  throw std::runtime_error(path + (line ? ":" + std::to_string(line) : std::string()) + ": " + what);
}

// The lines of a file read whole (std::getline's split: a last line without '\n' counts).
class Lines {
 public:
  explicit Lines(const std::string& bytes) : bytes_(bytes) {}
  bool next(std::string& line) {
    if (pos_ >= bytes_.size()) return false;
    size_t end = bytes_.find('\n', pos_);
    if (end == std::string::npos) end = bytes_.size();
    line.assign(bytes_, pos_, end - pos_);
    pos_ = end + 1;
    return true;
  }
  size_t position() const { return pos_; }
  void seek(size_t pos) { pos_ = pos; }

 private:
  const std::string& bytes_;
  size_t pos_ = 0;
};

enum class Cell { Value, Missing, NotNumber, Infinite, TooLarge };

// A numeric cell: empty / NaN / NA / null are missing; numbers beyond kMaxSeriesMagnitude and
// infinities are refused, never clamped (docs/timeseries.md, Data).
Cell parse_cell(const std::string& raw, float& out) {
  const std::string s = trim(raw);
  out = kMissing;
  if (s.empty() || s == "NaN" || s == "nan" || s == "NAN" || s == "NA" || s == "null") return Cell::Missing;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return Cell::NotNumber;
  if (std::isnan(v)) return Cell::Missing;
  if (std::isinf(v)) return Cell::Infinite;
  if (std::abs(v) > kMaxSeriesMagnitude) return Cell::TooLarge;
  out = static_cast<float>(v);
  return Cell::Value;
}

// Reads one numeric cell or fails naming the line and `what` ("column 'a'", "the value").
float read_cell(const std::string& raw, const std::string& path, size_t line, const std::string& what) {
  float v;
  switch (parse_cell(raw, v)) {
    case Cell::Value:
    case Cell::Missing:
      return v;
    case Cell::NotNumber:
      fail(path, line, what + ": " + quoted(trim(raw)) + " is not a number");
    case Cell::Infinite:
      fail(path, line, what + ": " + quoted(trim(raw)) + " is infinite");
    case Cell::TooLarge: {
      char limit[32];
      std::snprintf(limit, sizeof limit, "%g", kMaxSeriesMagnitude);
      fail(path, line,
           what + ": " + quoted(trim(raw)) + " is beyond the supported magnitude (|value| <= " + limit +
               "); rescale the column");
    }
  }
  return v;
}

size_t column_index(const std::vector<std::string>& header, const std::string& name, const std::string& path) {
  const auto it = std::find(header.begin(), header.end(), name);
  if (it == header.end()) {
    std::string all;
    for (size_t c = 0; c < header.size() && c < 20; ++c) all += (c ? ", " : "") + header[c];
    if (header.size() > 20) all += ", ... (" + std::to_string(header.size()) + " in all)";
    fail(path, 1, "no column " + quoted(name) + " (columns: " + all + ")");
  }
  return static_cast<size_t>(it - header.begin());
}

// The header's names, or a failure naming the first byte that is not UTF-8 (names become output
// columns and JSON in the model file, so a cp1252 header must be saved as UTF-8 first).
std::vector<std::string> read_header(std::string line, const std::string& path) {
  size_t bom = 0;
  if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3), bom = 3;
  const size_t bad = invalid_utf8_offset(line);
  if (bad != std::string::npos) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(line[bad]));
    fail(path, 1,
         std::string("the header is not valid UTF-8 (byte ") + byte + " at column " + std::to_string(bom + bad + 1) +
             "); save the file as UTF-8");
  }
  std::vector<std::string> header = split_csv_line(line);
  for (auto& h : header) h = trim(h);
  if (header.size() < 2) fail(path, 1, "a header with a time column and at least one value column is needed");
  return header;
}

// Linear interpolation over NaN gaps of one column (stride = columns); ends take the nearest value.
size_t fill_column(std::vector<float>& v, size_t rows, size_t cols, size_t c, const std::vector<double>& t,
                   const std::string& path, const std::string& name) {
  size_t filled = 0;
  size_t prev = rows;  // last row with a value
  for (size_t r = 0; r < rows; ++r) {
    if (std::isnan(v[r * cols + c])) continue;
    if (prev == rows) {
      for (size_t k = 0; k < r; ++k) v[k * cols + c] = v[r * cols + c], ++filled;
    } else if (r > prev + 1) {
      const double a = v[prev * cols + c], b = v[r * cols + c];
      for (size_t k = prev + 1; k < r; ++k) {
        const double w = (t[k] - t[prev]) / (t[r] - t[prev]);
        v[k * cols + c] = static_cast<float>(a + (b - a) * w);
        ++filled;
      }
    }
    prev = r;
  }
  if (prev == rows) fail(path, 0, "column " + quoted(name) + " has no values");
  for (size_t k = prev + 1; k < rows; ++k) v[k * cols + c] = v[prev * cols + c], ++filled;
  return filled;
}

// Every row writes its time like the first (format) and gives a UTC offset exactly when the first
// does; offsets may differ (a daylight-saving change), the times are UTC then (docs/timeseries.md,
// Data).
void check_time_style(const ParsedTime& t, const ParsedTime& first, const std::string& cell, const std::string& path,
                      size_t line) {
  if (t.format != first.format)
    fail(path, line, "the time " + quoted(cell) + " is written differently from the first row's");
  if ((t.zone == ZoneStyle::None) != (first.zone == ZoneStyle::None))
    fail(path, line,
         "the time " + quoted(cell) +
             (t.zone == ZoneStyle::None ? " has no UTC offset, the first row's has one"
                                        : " has a UTC offset, the first row's has none") +
             "; give every time an offset or none");
}

// One read of a file, a step per method: the time and value columns chosen from the header, the
// rows read and checked, then the table assembled, its gaps filled and its spacing made regular
// (docs/timeseries.md, Data).
class SeriesReader {
 public:
  SeriesReader(const std::string& path, const SeriesCsvOptions& o, std::vector<std::string> header)
      : path_(path), o_(o), long_format_(!o.series_id_col.empty()), header_(std::move(header)) {}
  SeriesTable read(Lines& in);  // the lines after the header

 private:
  void choose_time_column(Lines& in);
  void choose_value_columns();
  void read_row(const std::string& line, size_t line_no);
  void choose_default_targets(const std::vector<std::string>& cells, size_t line_no);
  void add_long_row(const std::vector<std::string>& cells, double t, const std::string& time_text, size_t line_no);
  void add_wide_row(const std::vector<std::string>& cells, double t, const std::string& time_text, size_t line_no);
  void assemble();
  void resample(double step);
  void check_regular_spacing();

  const std::string& path_;
  const SeriesCsvOptions& o_;
  const bool long_format_;
  const std::vector<std::string> header_;
  SeriesTable table_;
  size_t time_idx_ = 0;
  std::vector<size_t> cols_;  // wide: targets then covariates
  size_t id_idx_ = 0, value_idx_ = 0;
  std::vector<double> times_;
  std::vector<size_t> time_lines_;  // the line each time first appears on
  std::vector<float> wide_;         // wide: the selected columns, row after row
  // long: id -> (time row, value), rows increasing (times never go backwards)
  std::map<std::string, std::vector<std::pair<size_t, float>>> by_id_;
  std::vector<std::string> id_order_;
  ParsedTime last_style_;
  bool first_row_ = true;
};

SeriesTable SeriesReader::read(Lines& in) {
  table_.source = path_;
  choose_time_column(in);
  table_.time_column = header_[time_idx_];
  choose_value_columns();
  std::string line;
  size_t line_no = 1;
  while (in.next(line)) read_row(line, ++line_no);
  if (times_.size() < 2) fail(path_, 0, "needs at least two rows of data");
  // Forecasts are written with the last row's UTC offset (the one in force at the end of the data)
  // and with as many digits of seconds as the file's most precise time.
  table_.time_style.zone = last_style_.zone;
  table_.time_style.utc_offset_minutes = last_style_.utc_offset_minutes;
  table_.time_style.fraction_digits = last_style_.fraction_digits;
  assemble();
  const size_t T = times_.size(), V = table_.names.size();
  for (size_t c = 0; c < V; ++c)
    table_.filled_missing += fill_column(table_.values, T, V, c, times_, path_, table_.names[c]);
  // Regular spacing, or resampling onto a regular grid.
  if (o_.resample_seconds)
    resample(*o_.resample_seconds);
  else
    check_regular_spacing();
  return std::move(table_);
}

// Without time_col: the first column whose first value is a date, else the first column.
void SeriesReader::choose_time_column(Lines& in) {
  if (!o_.time_col.empty()) {
    time_idx_ = column_index(header_, o_.time_col, path_);
    return;
  }
  const size_t data_start = in.position();
  std::string first;
  while (in.next(first) && trim(first).empty()) {
  }
  const auto cells = split_csv_line(first);
  for (size_t c = 0; c < cells.size() && c < header_.size(); ++c) {
    const auto t = parse_time(cells[c]);
    if (t && t->format != TimeFormat::Number) {
      time_idx_ = c;
      break;
    }
  }
  in.seek(data_start);
}

void SeriesReader::choose_value_columns() {
  if (long_format_) {
    if (!o_.covariates.empty()) fail(path_, 1, "covariates need the wide format (one column per variable)");
    id_idx_ = column_index(header_, o_.series_id_col, path_);
    value_idx_ = column_index(header_, o_.value_col, path_);
    return;
  }
  for (const auto& t : o_.targets) cols_.push_back(column_index(header_, t, path_));
  for (const auto& c : o_.covariates) {
    if (std::find(o_.targets.begin(), o_.targets.end(), c) != o_.targets.end())
      fail(path_, 1, "column " + quoted(c) + " is both a target and a covariate");
    cols_.push_back(column_index(header_, c, path_));
  }
}

void SeriesReader::read_row(const std::string& line, size_t line_no) {
  if (trim(line).empty()) return;
  const auto cells = split_csv_line(line);
  if (cells.size() != header_.size())
    fail(path_, line_no,
         "has " + std::to_string(cells.size()) + " cells, the header has " + std::to_string(header_.size()));
  const std::string time_text = trim(cells[time_idx_]);
  const auto reading = read_time(time_text);
  if (!reading.time) fail(path_, line_no, "cannot read the time " + quoted(time_text) + ": " + reading.problem);
  const ParsedTime& parsed = *reading.time;
  if (first_row_) {
    table_.time_style = parsed;
    if (!long_format_ && o_.targets.empty()) choose_default_targets(cells, line_no);
    first_row_ = false;
  } else {
    check_time_style(parsed, table_.time_style, time_text, path_, line_no);
  }
  last_style_.zone = parsed.zone;
  last_style_.utc_offset_minutes = parsed.utc_offset_minutes;
  last_style_.fraction_digits = std::max(last_style_.fraction_digits, parsed.fraction_digits);
  if (long_format_)
    add_long_row(cells, parsed.seconds, time_text, line_no);
  else
    add_wide_row(cells, parsed.seconds, time_text, line_no);
}

// Default targets: every column other than time and covariates whose first cell is numeric.
void SeriesReader::choose_default_targets(const std::vector<std::string>& cells, size_t line_no) {
  for (size_t c = 0; c < header_.size(); ++c) {
    if (c == time_idx_ || std::find(o_.covariates.begin(), o_.covariates.end(), header_[c]) != o_.covariates.end())
      continue;
    float v;
    const Cell kind = parse_cell(cells[c], v);
    if (kind != Cell::NotNumber) cols_.insert(cols_.end() - static_cast<std::ptrdiff_t>(o_.covariates.size()), c);
  }
  if (cols_.size() == o_.covariates.size()) fail(path_, line_no, "no numeric column to forecast");
}

void SeriesReader::add_long_row(const std::vector<std::string>& cells, double t, const std::string& time_text,
                                size_t line_no) {
  if (times_.empty() || t > times_.back())
    times_.push_back(t), time_lines_.push_back(line_no);
  else if (t < times_.back())
    fail(path_, line_no, "times go backwards (" + quoted(time_text) + "); sort the file by time");
  const std::string id = trim(cells[id_idx_]);
  if (!o_.targets.empty() && std::find(o_.targets.begin(), o_.targets.end(), id) == o_.targets.end()) return;
  if (invalid_utf8_offset(id) != std::string::npos)
    fail(path_, line_no, "the series id " + quoted(id) + " is not valid UTF-8; save the file as UTF-8");
  const float v = read_cell(cells[value_idx_], path_, line_no, "column " + quoted(header_[value_idx_]));
  auto& series = by_id_[id];
  if (series.empty() && std::find(id_order_.begin(), id_order_.end(), id) == id_order_.end()) id_order_.push_back(id);
  if (!series.empty() && series.back().first == times_.size() - 1)
    fail(path_, line_no, "duplicate time " + quoted(time_text) + " for series " + quoted(id));
  series.emplace_back(times_.size() - 1, v);
}

void SeriesReader::add_wide_row(const std::vector<std::string>& cells, double t, const std::string& time_text,
                                size_t line_no) {
  if (!times_.empty() && t == times_.back()) fail(path_, line_no, "duplicate time " + quoted(time_text));
  if (!times_.empty() && t < times_.back())
    fail(path_, line_no, "times go backwards (" + quoted(time_text) + "); sort the file by time");
  times_.push_back(t);
  time_lines_.push_back(line_no);
  for (size_t c : cols_) wide_.push_back(read_cell(cells[c], path_, line_no, "column " + quoted(header_[c])));
}

// Assembles T x V: long rows pivoted to one column per series id, wide rows as read.
void SeriesReader::assemble() {
  const size_t T = times_.size();
  if (long_format_) {
    for (const auto& id : o_.targets)
      if (!by_id_.count(id)) fail(path_, 0, "no rows for series " + quoted(id));
    const auto& order = o_.targets.empty() ? id_order_ : o_.targets;
    table_.names = order;
    table_.num_targets = order.size();
    table_.values.assign(T * order.size(), kMissing);
    for (size_t c = 0; c < order.size(); ++c)
      for (const auto& [r, v] : by_id_[order[c]]) table_.values[r * order.size() + c] = v;
  } else {
    for (size_t c : cols_) table_.names.push_back(header_[c]);
    table_.num_targets = cols_.size() - o_.covariates.size();
    table_.values = std::move(wide_);
  }
}

void SeriesReader::resample(double step) {
  const size_t T = times_.size(), V = table_.names.size();
  const double span = (times_.back() - times_.front()) / step;
  if (!(span * static_cast<double>(std::max<size_t>(V, 1)) <= kMaxResampledCells))
    fail(path_, 0,
         "resampling every " + std::to_string(step) + " s would make more than 1e8 values; choose a coarser frequency");
  const size_t n = static_cast<size_t>(std::floor(span + 1e-9)) + 1;
  if (n < 2) fail(path_, 0, "resampling every " + std::to_string(step) + " s leaves fewer than two rows");
  std::vector<float> out(n * V);
  std::vector<double> grid(n);
  const auto& values = table_.values;
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    const double t = times_.front() + static_cast<double>(i) * step;
    grid[i] = t;
    while (k + 1 < T && times_[k + 1] <= t) ++k;
    const size_t k1 = std::min(k + 1, T - 1);
    const double w = k1 == k ? 0.0 : (t - times_[k]) / (times_[k1] - times_[k]);
    for (size_t c = 0; c < V; ++c)
      out[i * V + c] = static_cast<float>(values[k * V + c] + (values[k1 * V + c] - values[k * V + c]) * w);
  }
  table_.times = std::move(grid);
  table_.values = std::move(out);
  table_.step = step;
  table_.resampled = true;
}

void SeriesReader::check_regular_spacing() {
  const double step = times_[1] - times_[0];
  for (size_t i = 1; i < times_.size(); ++i) {
    const double gap = times_[i] - times_[i - 1];
    if (!(std::abs(gap - step) <= 1e-6 * std::max(1.0, std::abs(step)))) {
      fail(path_, time_lines_[i],
           "irregular spacing: this time comes " + std::to_string(gap) + " after the previous one, the first gap is " +
               std::to_string(step) + "; resample it onto a regular grid (the resample option: 1h, 1d, ...)");
    }
  }
  table_.times = std::move(times_);
  table_.step = step;
}

}  // namespace

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  bool in_quotes = false;
  size_t n = line.size();
  if (n && line[n - 1] == '\r') --n;
  for (size_t i = 0; i < n; ++i) {
    const char c = line[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < n && line[i + 1] == '"')
        cell += '"', ++i;
      else if (c == '"')
        in_quotes = false;
      else
        cell += c;
    } else if (c == '"') {
      in_quotes = true;
    } else if (c == ',') {
      cells.push_back(cell);
      cell.clear();
    } else {
      cell += c;
    }
  }
  cells.push_back(cell);
  return cells;
}

SeriesTable read_series_csv(const std::string& path, const SeriesCsvOptions& o) {
  // Bounded: a size limit, and a pipe with no writer is given up on (docs/timeseries.md, Data).
  const std::string bytes = read_input_bytes(path, o.input_limits);
  Lines in(bytes);
  std::string line;
  if (!in.next(line)) fail(path, 0, "the file is empty");
  return SeriesReader(path, o, read_header(line, path)).read(in);
}

}  // namespace unirep::modalities
