#pragma once
// Internal to apps/data_makers: the staging folders a stopping signal must remove (see
// staging_folder.h). While any is registered, a handler for SIGINT, SIGTERM, SIGHUP and SIGPIPE
// removes them all, then hands the signal to the handler that was installed before it.
#include <string>

namespace unirep::data_makers {

// Registers `path` (which may not exist yet); returns a slot, or -1 when the table is full or the
// path too long (the folder is then still removed on errors, just not on a signal).
int remove_on_signal(const std::string& path);

// Forgets a slot from remove_on_signal (a no-op for -1); the last one restores the old handlers.
void forget_on_signal(int slot) noexcept;

}  // namespace unirep::data_makers
