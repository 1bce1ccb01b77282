#pragma once
// Internal to the SDK: a Cairo surface written as PNG through io::AtomicFile (temporary file,
// fsync, rename), so a failed or interrupted write never leaves a partial image.
#include <cairo.h>

#include <string>

namespace unirep::sdk {

void write_png_atomically(cairo_surface_t* surface, const std::string& path);

}  // namespace unirep::sdk
