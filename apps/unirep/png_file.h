#pragma once
// The command line's PNG outputs (forecast plots, point-cloud views): a Cairo surface written as
// PNG through io::AtomicFile (temporary file, fsync, rename), so a failed or interrupted write
// never leaves a partial image. Cairo is linked by the CLI only, never by the SDK.
#include <cairo.h>

#include <string>

namespace unirep::cli {

void write_png_atomically(cairo_surface_t* surface, const std::string& path);

}  // namespace unirep::cli
