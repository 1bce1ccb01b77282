#pragma once
// Shared helpers for the GoogleTest suites: where the reference fixtures are, scratch folders,
// running the `unirep` binary, and tensor comparisons.
#include <ATen/Tensor.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "test_paths.h"

namespace unirep::testing {

// True when the environment says CI=true: missing fixtures are then a failure, not a skip.
bool ci_mode();

// The reference fixtures folder (docs/testing.md; UNIREP_FIXTURES_DIR), or "" when it is absent.
std::string fixtures_dir();

// Path of a fixture file, e.g. fixture("backbone/tiny_mono.input.npy").
std::string fixture(const std::string& relative);

// Use at the top of a test that needs the reference fixtures (docs/testing.md): skips with a clear message when it is
// absent in a user's clone, fails when CI=true.
#define UNIREP_REQUIRE_FIXTURES()                                                        \
  do {                                                                                   \
    if (::unirep::testing::fixtures_dir().empty()) {                                     \
      if (::unirep::testing::ci_mode()) {                                                \
        FAIL() << "reference fixtures not found at " UNIREP_FIXTURES_DIR " (CI=true)";   \
      }                                                                                  \
      GTEST_SKIP() << "reference fixtures not found at " UNIREP_FIXTURES_DIR             \
                   << "; clone the shared fixtures beside the project to run this test"; \
    }                                                                                    \
  } while (0)

// A fresh scratch folder, removed with everything in it when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Sets an environment variable for the scope of a test, then puts back what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() { had_ ? ::setenv(name_, old_.c_str(), 1) : ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs the built `unirep` binary with `args` (no shell), capturing its output and exit status.
CommandResult run_cli(const std::vector<std::string>& args);

// Limits for a hostile-input run of the CLI: an address-space cap (RLIMIT_AS, so a run that tries
// to allocate without bound fails instead of swapping the machine), a wall-clock timeout (a hang is
// killed and reported as timed_out), and what the child reads on standard input.
struct CliLimits {
  unsigned long long address_space_bytes = 6ull << 30;
  double timeout_s = 120;
  std::string stdin_bytes;  // written to the child's stdin, then closed (empty: /dev/null)
};

struct LimitedResult : CommandResult {
  bool timed_out = false;  // killed at the deadline; exit_code is then 128 + SIGKILL
};

// Runs the built `unirep` binary under `limits`; extra environment entries are "NAME=value".
LimitedResult run_cli_limited(const std::vector<std::string>& args, const CliLimits& limits = {},
                              const std::vector<std::string>& env = {});

// Starts the `unirep` binary in the background with extra environment variables ("NAME=value"),
// its stdout and stderr going to `log_path`. Returns the process id.
int spawn_cli(const std::vector<std::string>& args, const std::vector<std::string>& env, const std::string& log_path);

// Waits up to `timeout_s` for a spawned process; returns its exit code (128+signal when killed),
// or -1 if it is still running at the deadline (it is then killed).
int wait_exit(int pid, double timeout_s);

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_tcp_port();

// Reads a whole file as bytes / writes bytes to a file.
std::string read_bytes(const std::string& path);
void write_bytes(const std::string& path, const std::string& bytes);
bool file_exists(const std::string& path);

// max |a - b| over all elements (shapes must match; both converted to double).
double max_abs_diff(const at::Tensor& a, const at::Tensor& b);
double max_abs(const at::Tensor& a);

// The fixtures README's tolerance: max|ours - ref| <= 5e-5 * max(1, max|ref|).
::testing::AssertionResult within_fixture_tolerance(const at::Tensor& ours, const at::Tensor& ref, double rel = 5e-5);

}  // namespace unirep::testing
