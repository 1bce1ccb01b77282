#pragma once
// Interrupted runs leave no temporary file and no partial output (docs/reliability.md, "Interrupted
// runs"): every temporary file of an io::AtomicFile is registered while it exists, and so is every
// backup an io::OutputTransaction keeps while it renames. A program that writes outputs installs
// the handler once at start-up; on SIGINT, SIGTERM, SIGHUP or SIGPIPE it puts the backups back,
// removes the temporary files and then dies of the same signal (exit status 128 + signal).
namespace unirep::io {

// Installs the handler for SIGINT, SIGTERM, SIGHUP and SIGPIPE (a handler someone else installs
// later, such as the trainer's graceful stop, replaces it; that code then unwinds normally and the
// destructors clean up).
void remove_outputs_on_signals();

// Puts backups back and removes temporary files now; async-signal-safe, for other signal handlers
// that end the process with _exit.
void remove_outputs_now() noexcept;

}  // namespace unirep::io
