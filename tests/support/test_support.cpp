#include "support/test_support.h"

#include <ATen/ATen.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <thread>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace unirep::testing {

bool ci_mode() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

std::string fixtures_dir() {
  std::error_code ec;
  if (std::filesystem::is_directory(UNIREP_FIXTURES_DIR, ec)) return UNIREP_FIXTURES_DIR;
  return "";
}

std::string fixture(const std::string& relative) {
  return std::string(UNIREP_FIXTURES_DIR) + "/" + relative;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "unirep-test-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed: " + std::string(strerror(errno)));
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {
// In a forked child: becomes the `unirep` binary with `args`; never returns.
[[noreturn]] void exec_cli(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  std::string exe = UNIREP_CLI_PATH;
  argv.push_back(exe.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(exe.c_str(), argv.data());
  _exit(127);
}
}  // namespace

CommandResult run_cli(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    exec_cli(args);
  }
  close(fds[1]);
  CommandResult result;
  std::array<char, 4096> chunk;
  ssize_t n;
  while ((n = read(fds[0], chunk.data(), chunk.size())) > 0) result.output.append(chunk.data(), n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

LimitedResult run_cli_limited(const std::vector<std::string>& args, const CliLimits& limits,
                              const std::vector<std::string>& env) {
  int out[2], in[2];
  if (pipe(out) != 0 || pipe(in) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    for (int fd : {in[0], in[1], out[0], out[1]}) close(fd);
    const rlimit cap{limits.address_space_bytes, limits.address_space_bytes};
    setrlimit(RLIMIT_AS, &cap);
    for (const auto& e : env) putenv(strdup(e.c_str()));
    exec_cli(args);
  }
  close(in[0]);
  close(out[1]);
  // The child's stdin is fed from a thread so a child that never reads cannot block the test.
  std::thread feeder([fd = in[1], bytes = limits.stdin_bytes]() {
    signal(SIGPIPE, SIG_IGN);
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    close(fd);
  });
  LimitedResult result;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(limits.timeout_s);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  std::array<char, 4096> chunk;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      result.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::min<long long>(left, 200))) < 0 && errno != EINTR) break;
    const ssize_t n = read(out[0], chunk.data(), chunk.size());
    if (n > 0)
      result.output.append(chunk.data(), static_cast<size_t>(n));
    else if (n == 0)
      break;
  }
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  feeder.join();
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

int spawn_cli(const std::vector<std::string>& args, const std::vector<std::string>& env, const std::string& log_path) {
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    for (const auto& e : env) putenv(strdup(e.c_str()));
    exec_cli(args);
  }
  return pid;
}

int wait_exit(int pid, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (done < 0) return -2;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int free_tcp_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("cannot find a free port");
  close(fd);
  return ntohs(addr.sin_port);
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

bool file_exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  if (a.sizes() != b.sizes()) throw std::runtime_error("max_abs_diff: shape mismatch");
  if (a.numel() == 0) return 0.0;
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

double max_abs(const at::Tensor& a) {
  if (a.numel() == 0) return 0.0;
  return a.to(at::kDouble).abs().max().item<double>();
}

::testing::AssertionResult within_fixture_tolerance(const at::Tensor& ours, const at::Tensor& ref, double rel) {
  if (ours.sizes() != ref.sizes()) {
    std::ostringstream ss;
    ss << "shape " << ours.sizes() << " != reference " << ref.sizes();
    return ::testing::AssertionFailure() << ss.str();
  }
  double diff = max_abs_diff(ours, ref);
  double bound = rel * std::max(1.0, max_abs(ref));
  if (diff <= bound) return ::testing::AssertionSuccess() << "max abs diff " << diff << " <= " << bound;
  return ::testing::AssertionFailure() << "max abs diff " << diff << " > tolerance " << bound;
}

}  // namespace unirep::testing
