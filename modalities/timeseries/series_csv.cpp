#include <unirep/modalities/timeseries/series_csv.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <stdexcept>

namespace unirep::modalities::timeseries {
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

// A numeric cell: empty / NaN -> missing (true, NaN); a number -> (true, value); else false.
bool parse_cell(const std::string& raw, float& out) {
  const std::string s = trim(raw);
  if (s.empty() || s == "NaN" || s == "nan" || s == "NAN" || s == "NA" || s == "null") {
    out = kMissing;
    return true;
  }
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return false;
  if (!std::isfinite(v)) {
    if (std::isnan(v)) {
      out = kMissing;
      return true;
    }
    return false;  // inf is a value we cannot forecast from
  }
  out = static_cast<float>(v);
  return true;
}

size_t column_index(const std::vector<std::string>& header, const std::string& name, const std::string& path) {
  const auto it = std::find(header.begin(), header.end(), name);
  if (it == header.end()) {
    std::string all;
    for (const auto& h : header) all += (all.empty() ? "" : ", ") + h;
    fail(path, 1, "no column '" + name + "' (columns: " + all + ")");
  }
  return static_cast<size_t>(it - header.begin());
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
  if (prev == rows) fail(path, 0, "column '" + name + "' has no values");
  for (size_t k = prev + 1; k < rows; ++k) v[k * cols + c] = v[prev * cols + c], ++filled;
  return filled;
}

}  // namespace

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false;
  size_t n = line.size();
  if (n && line[n - 1] == '\r') --n;
  for (size_t i = 0; i < n; ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < n && line[i + 1] == '"') cell += '"', ++i;
      else if (c == '"') quoted = false;
      else cell += c;
    } else if (c == '"') {
      quoted = true;
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
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, 0, "cannot open the file");
  SeriesTable table;
  table.source = path;
  std::string line;
  if (!std::getline(in, line)) fail(path, 0, "the file is empty");
  if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);  // UTF-8 BOM
  std::vector<std::string> header = split_csv_line(line);
  for (auto& h : header) h = trim(h);
  if (header.size() < 2) fail(path, 1, "a header with a time column and at least one value column is needed");
  // Without --time-col: the first column whose first value is a date, else the first column.
  size_t time_idx = 0;
  if (!o.time_col.empty()) {
    time_idx = column_index(header, o.time_col, path);
  } else {
    const auto data_start = in.tellg();
    std::string first;
    while (std::getline(in, first) && trim(first).empty()) {
    }
    const auto cells = split_csv_line(first);
    for (size_t c = 0; c < cells.size() && c < header.size(); ++c) {
      const auto t = parse_time(cells[c]);
      if (t && t->format != TimeFormat::Number) {
        time_idx = c;
        break;
      }
    }
    in.clear();
    in.seekg(data_start);
  }
  table.time_column = header[time_idx];
  const bool long_format = !o.series_id_col.empty();

  std::vector<size_t> cols;  // wide: targets then covariates
  size_t id_idx = 0, value_idx = 0;
  if (long_format) {
    if (!o.covariates.empty()) fail(path, 1, "covariates need the wide format (one column per variable)");
    id_idx = column_index(header, o.series_id_col, path);
    value_idx = column_index(header, o.value_col, path);
  } else {
    for (const auto& t : o.targets) cols.push_back(column_index(header, t, path));
    for (const auto& c : o.covariates) {
      if (std::find(o.targets.begin(), o.targets.end(), c) != o.targets.end())
        fail(path, 1, "column '" + c + "' is both a target and a covariate");
      cols.push_back(column_index(header, c, path));
    }
  }

  std::vector<double> times;
  std::vector<size_t> time_lines;  // the line each time first appears on
  std::vector<std::vector<float>> rows;                  // wide: selected columns per row
  std::map<std::string, std::map<size_t, float>> by_id;  // long: id -> (time row -> value)
  std::vector<std::string> id_order;
  std::vector<bool> numeric_guess;  // wide, no targets given: which columns parse as numbers
  size_t line_no = 1;
  bool first_row = true;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    const auto cells = split_csv_line(line);
    if (cells.size() != header.size())
      fail(path, line_no, "has " + std::to_string(cells.size()) + " cells, the header has " + std::to_string(header.size()));
    const auto parsed = parse_time(cells[time_idx]);
    if (!parsed) fail(path, line_no, "cannot read the time '" + trim(cells[time_idx]) + "'");
    if (first_row) {
      table.time_style = *parsed;
      if (!long_format && o.targets.empty()) {
        // Default targets: every column other than time and covariates whose first cell is numeric.
        for (size_t c = 0; c < header.size(); ++c) {
          if (c == time_idx || std::find(o.covariates.begin(), o.covariates.end(), header[c]) != o.covariates.end()) continue;
          float v;
          if (parse_cell(cells[c], v)) cols.insert(cols.end() - static_cast<std::ptrdiff_t>(o.covariates.size()), c);
        }
        if (cols.size() == o.covariates.size()) fail(path, line_no, "no numeric column to forecast");
      }
      first_row = false;
    } else if (parsed->format != table.time_style.format) {
      fail(path, line_no, "the time '" + trim(cells[time_idx]) + "' is written differently from the first row's");
    }
    const double t = parsed->seconds;
    if (long_format) {
      if (times.empty() || t > times.back()) times.push_back(t), time_lines.push_back(line_no);
      else if (t < times.back()) fail(path, line_no, "times go backwards (" + trim(cells[time_idx]) + "); sort the file by time");
      const std::string id = trim(cells[id_idx]);
      if (!o.targets.empty() && std::find(o.targets.begin(), o.targets.end(), id) == o.targets.end()) continue;
      float v;
      if (!parse_cell(cells[value_idx], v)) fail(path, line_no, "the value '" + trim(cells[value_idx]) + "' is not a number");
      auto& series = by_id[id];
      if (series.empty() && std::find(id_order.begin(), id_order.end(), id) == id_order.end()) id_order.push_back(id);
      if (!series.emplace(times.size() - 1, v).second)
        fail(path, line_no, "duplicate time " + trim(cells[time_idx]) + " for series '" + id + "'");
    } else {
      if (!times.empty() && t == times.back()) fail(path, line_no, "duplicate time " + trim(cells[time_idx]));
      if (!times.empty() && t < times.back()) fail(path, line_no, "times go backwards (" + trim(cells[time_idx]) + "); sort the file by time");
      times.push_back(t);
      time_lines.push_back(line_no);
      std::vector<float> row(cols.size());
      for (size_t k = 0; k < cols.size(); ++k)
        if (!parse_cell(cells[cols[k]], row[k]))
          fail(path, line_no, "column '" + header[cols[k]] + "': '" + trim(cells[cols[k]]) + "' is not a number");
      rows.push_back(std::move(row));
    }
  }
  if (times.size() < 2) fail(path, 0, "needs at least two rows of data");

  // Assemble T x V.
  const size_t T = times.size();
  if (long_format) {
    for (const auto& id : o.targets)
      if (!by_id.count(id)) fail(path, 0, "no rows for series '" + id + "'");
    const auto& order = o.targets.empty() ? id_order : o.targets;
    table.names = order;
    table.num_targets = order.size();
    table.values.assign(T * order.size(), kMissing);
    for (size_t c = 0; c < order.size(); ++c)
      for (const auto& [r, v] : by_id[order[c]]) table.values[r * order.size() + c] = v;
  } else {
    for (size_t c : cols) table.names.push_back(header[c]);
    table.num_targets = cols.size() - o.covariates.size();
    table.values.resize(T * cols.size());
    for (size_t r = 0; r < T; ++r) std::copy(rows[r].begin(), rows[r].end(), table.values.begin() + static_cast<std::ptrdiff_t>(r * cols.size()));
  }
  const size_t V = table.names.size();
  for (size_t c = 0; c < V; ++c) table.filled_missing += fill_column(table.values, T, V, c, times, path, table.names[c]);

  // Regular spacing, or resampling onto a regular grid.
  if (o.resample_seconds) {
    const double step = *o.resample_seconds;
    const size_t n = static_cast<size_t>(std::floor((times.back() - times.front()) / step + 1e-9)) + 1;
    if (n < 2) fail(path, 0, "resampling every " + std::to_string(step) + " s leaves fewer than two rows");
    if (n > 100000000) fail(path, 0, "resampling would make more than 1e8 rows; choose a coarser frequency");
    std::vector<float> out(n * V);
    std::vector<double> grid(n);
    size_t k = 0;
    for (size_t i = 0; i < n; ++i) {
      const double t = times.front() + static_cast<double>(i) * step;
      grid[i] = t;
      while (k + 1 < T && times[k + 1] <= t) ++k;
      const size_t k1 = std::min(k + 1, T - 1);
      const double w = k1 == k ? 0.0 : (t - times[k]) / (times[k1] - times[k]);
      for (size_t c = 0; c < V; ++c)
        out[i * V + c] = static_cast<float>(table.values[k * V + c] + (table.values[k1 * V + c] - table.values[k * V + c]) * w);
    }
    table.times = std::move(grid);
    table.values = std::move(out);
    table.step = step;
    table.resampled = true;
  } else {
    const double step = times[1] - times[0];
    for (size_t i = 1; i < T; ++i) {
      const double gap = times[i] - times[i - 1];
      if (std::abs(gap - step) > 1e-6 * std::max(1.0, std::abs(step))) {
        fail(path, time_lines[i], "irregular spacing: this time comes " + std::to_string(gap) +
                                      " after the previous one, the first gap is " + std::to_string(step) +
                                      "; give a frequency to resample to (--resample 1h, 1d, ...)");
      }
    }
    table.times = std::move(times);
    table.step = step;
  }
  return table;
}

}  // namespace unirep::modalities::timeseries
