#include "forecast_plot.h"

#include "png_file.h"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace unirep::cli {

void plot_forecast(const std::string& path, const std::vector<PlotSeries>& series, const std::string& first_time,
                   const std::string& forecast_start, const std::string& last_time, const std::string& title) {
  if (series.empty()) throw std::invalid_argument("plot: nothing to draw");
  const int width = 1000, panel = 220, top = 40, bottom = 30, left = 70, right = 20;
  const int height = top + panel * static_cast<int>(series.size()) + bottom;
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, 14);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_move_to(cr, left, 24);
  cairo_show_text(cr, title.c_str());

  for (size_t p = 0; p < series.size(); ++p) {
    const auto& s = series[p];
    const double n_hist = static_cast<double>(s.history.size());
    const double n_fut = static_cast<double>(std::max(s.forecast.size(), s.truth.size()));
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto* v : {&s.history, &s.forecast, &s.truth})
      for (double x : *v) lo = std::min(lo, x), hi = std::max(hi, x);
    if (!(hi > lo)) hi = lo + 1;
    const double pad = 0.05 * (hi - lo);
    lo -= pad, hi += pad;
    const double y0 = top + panel * static_cast<double>(p) + 10, y1 = y0 + panel - 30;
    const double x0 = left, x1 = width - right;
    auto X = [&](double i) { return x0 + (i + n_hist) / std::max(1.0, n_hist + n_fut - 1) * (x1 - x0); };
    auto Y = [&](double v) { return y1 - (v - lo) / (hi - lo) * (y1 - y0); };
    // frame, forecast start, labels
    cairo_set_line_width(cr, 1);
    cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.8, 0.8, 0.8);
    cairo_move_to(cr, X(-0.5), y0);
    cairo_line_to(cr, X(-0.5), y1);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_font_size(cr, 12);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4g", hi - pad);
    cairo_move_to(cr, 4, Y(hi - pad) + 4);
    cairo_show_text(cr, buf);
    std::snprintf(buf, sizeof buf, "%.4g", lo + pad);
    cairo_move_to(cr, 4, Y(lo + pad) + 4);
    cairo_show_text(cr, buf);
    cairo_move_to(cr, x0 + 6, y0 + 16);
    cairo_show_text(cr, s.name.c_str());
    auto line = [&](const std::vector<double>& v, double offset, double r, double g, double b, double w) {
      if (v.empty()) return;
      cairo_set_source_rgb(cr, r, g, b);
      cairo_set_line_width(cr, w);
      for (size_t i = 0; i < v.size(); ++i) {
        const double x = X(offset + static_cast<double>(i)), y = Y(v[i]);
        if (i == 0)
          cairo_move_to(cr, x, y);
        else
          cairo_line_to(cr, x, y);
      }
      cairo_stroke(cr);
    };
    line(s.history, -n_hist, 0.25, 0.45, 0.75, 1.5);
    line(s.truth, 0, 0.1, 0.1, 0.1, 1.5);
    line(s.forecast, 0, 0.85, 0.2, 0.1, 2.0);
  }
  cairo_set_font_size(cr, 12);
  cairo_set_source_rgb(cr, 0, 0, 0);
  const double ty = height - 10;
  cairo_move_to(cr, left, ty);
  cairo_show_text(cr, first_time.c_str());
  cairo_text_extents_t ext;
  const std::string mid = "forecast from " + forecast_start + "   (blue: history, red: forecast, black: truth)";
  cairo_text_extents(cr, mid.c_str(), &ext);
  cairo_move_to(cr, (width - ext.width) / 2, ty);
  cairo_show_text(cr, mid.c_str());
  cairo_text_extents(cr, last_time.c_str(), &ext);
  cairo_move_to(cr, width - right - ext.width, ty);
  cairo_show_text(cr, last_time.c_str());

  cairo_destroy(cr);
  try {
    write_png_atomically(surface, path);
  } catch (...) {
    cairo_surface_destroy(surface);
    throw;
  }
  cairo_surface_destroy(surface);
}

}  // namespace unirep::cli
