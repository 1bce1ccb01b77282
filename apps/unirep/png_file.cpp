#include "png_file.h"

#include "models/io/atomic_file.h"

#include <stdexcept>

namespace unirep::cli {

void write_png_atomically(cairo_surface_t* surface, const std::string& path) {
  std::string bytes;
  const auto status = cairo_surface_write_to_png_stream(
      surface,
      [](void* closure, const unsigned char* data, unsigned int length) {
        static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
        return CAIRO_STATUS_SUCCESS;
      },
      &bytes);
  if (status != CAIRO_STATUS_SUCCESS)
    throw std::runtime_error(path + ": cannot encode the PNG (" + cairo_status_to_string(status) + ")");
  io::AtomicFile out(path);
  out.write(bytes);
  out.commit();
}

}  // namespace unirep::cli
