#include "worker_launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace unirep::cli {
namespace {

std::vector<std::string> own_arguments() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  if (!in) throw std::runtime_error("cannot read /proc/self/cmdline to relaunch the workers");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (size_t start = 0; start < all.size();) {
    const size_t end = all.find('\0', start);
    args.push_back(all.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return args;
}

// Asks the kernel for a free port on loopback. Another process could take it before rank 0 binds;
// the rendezvous then fails with a clear error rather than joining the wrong job.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket(): ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("cannot find a free TCP port on 127.0.0.1: " + err);
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

bool is_worker() {
  const char* v = std::getenv("UNIREP_WORKER");
  return v && std::string(v) == "1";
}

int launch_local_workers(int nproc) {
  if (nproc < 1) throw std::invalid_argument("--nproc must be at least 1");
  const auto args = own_arguments();
  const char* port_env = std::getenv("MASTER_PORT");
  const std::string port = port_env && *port_env ? std::string(port_env) : std::to_string(free_port());
  std::fprintf(stderr, "launching %d workers (rendezvous 127.0.0.1:%s)\n", nproc, port.c_str());
  std::fflush(stderr);

  // Ctrl-C reaches the workers directly (same process group); the launcher just keeps waiting so
  // they can finish the step and save their checkpoint.
  struct sigaction ignore {
  }, old_int{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ignore, &old_int);

  std::vector<pid_t> pids;
  for (int rank = 0; rank < nproc; ++rank) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      for (pid_t p : pids) ::kill(p, SIGKILL);
      throw std::runtime_error(std::string("fork(): ") + std::strerror(errno));
    }
    if (pid == 0) {
      sigaction(SIGINT, &old_int, nullptr);
      const std::string r = std::to_string(rank), w = std::to_string(nproc);
      setenv("UNIREP_WORKER", "1", 1);
      setenv("RANK", r.c_str(), 1);
      setenv("LOCAL_RANK", r.c_str(), 1);
      setenv("WORLD_SIZE", w.c_str(), 1);
      setenv("LOCAL_WORLD_SIZE", w.c_str(), 1);
      setenv("MASTER_ADDR", "127.0.0.1", 1);
      setenv("MASTER_PORT", port.c_str(), 1);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv("/proc/self/exe", argv.data());
      std::fprintf(stderr, "worker %d: exec failed: %s\n", rank, std::strerror(errno));
      ::_exit(127);
    }
    pids.push_back(pid);
  }

  int result = 0;
  size_t running = pids.size();
  auto stop_deadline = std::chrono::steady_clock::time_point::max();
  while (running > 0) {
    int status = 0;
    const pid_t done = ::waitpid(-1, &status, WNOHANG);
    if (done > 0) {
      for (auto& p : pids)
        if (p == done) {
          p = 0;
          --running;
          const int code = exit_code(status);
          if (code != 0 && result == 0) {
            result = code;
            std::fprintf(stderr, "a worker failed (exit %d); stopping the others\n", code);
            for (pid_t other : pids)
              if (other > 0) ::kill(other, SIGTERM);
            stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
          }
        }
      continue;
    }
    if (done < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() > stop_deadline)
      for (pid_t other : pids)
        if (other > 0) ::kill(other, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  sigaction(SIGINT, &old_int, nullptr);
  return result;
}

}  // namespace unirep::cli
