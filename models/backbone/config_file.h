#pragma once
// Reading a layout JSON file with bounded work (docs/backbone.md, Layout limits).
#include <string>

namespace unirep::models {

// The whole text of the config file `path`. Refuses, with an io::FormatError naming the path, a
// path that cannot be opened, anything but a regular file (a FIFO is opened non-blocking, so it
// never waits for a writer; /dev/zero is never read), and a file over kMaxConfigFileBytes.
std::string read_config_text(const std::string& path);

}  // namespace unirep::models
