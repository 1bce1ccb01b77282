// c10d with Gloo: a TCPStore for rendezvous (rank 0 hosts it), then a ProcessGroupGloo over TCP.
#include "sdk/distributed/process_group.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <ATen/ATen.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace unirep::sdk {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

int env_int(const char* name, int fallback, int min_value, int max_value) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  errno = 0;
  const long n = std::strtol(v, &end, 10);
  if (errno || *end || n < min_value || n > max_value)
    throw std::invalid_argument(std::string("environment variable ") + name + "='" + v + "' must be an integer in [" +
                                std::to_string(min_value) + ", " + std::to_string(max_value) + "]");
  return static_cast<int>(n);
}

std::string describe(const std::exception& e) {
  if (const auto* c = dynamic_cast<const c10::Error*>(&e)) return c->what_without_backtrace();
  return e.what();
}

// Gloo collectives take a list of same-shaped dense tensors (one per device). Ours are arbitrary
// parameter lists, so each dtype group travels as one flat buffer and is copied back afterwards.
template <class Op>
void flat_collective(std::vector<at::Tensor>& tensors, Op op) {
  at::NoGradGuard no_grad;  // results are written into parameters in place
  std::vector<at::ScalarType> types;
  for (const auto& t : tensors)
    if (std::find(types.begin(), types.end(), t.scalar_type()) == types.end()) types.push_back(t.scalar_type());
  for (const auto type : types) {
    std::vector<at::Tensor> group, flat_parts;
    for (auto& t : tensors)
      if (t.scalar_type() == type) {
        group.push_back(t);
        flat_parts.push_back(t.reshape(-1));
      }
    std::vector<at::Tensor> flat{group.size() == 1 && group[0].is_contiguous() ? group[0] : at::cat(flat_parts)};
    op(flat);
    if (flat[0].is_same(group[0])) continue;
    int64_t offset = 0;
    for (auto& t : group) {
      t.copy_(flat[0].slice(0, offset, offset + t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }
}

bool is_loopback(const std::string& addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

// The network device Gloo binds to: loopback for single-machine jobs; GLOO_SOCKET_IFNAME (as with
// PyTorch) or the address this host's name resolves to otherwise.
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& master_addr) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (is_loopback(master_addr)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

struct ProcessGroup::Impl {
  ProcessGroupOptions options;
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;

  void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what) {
    try {
      work->wait(options.timeout);
    } catch (const std::exception& e) {
      throw std::runtime_error("distributed " + std::string(what) + " failed on rank " + std::to_string(options.rank) +
                               " of " + std::to_string(options.world_size) +
                               " (a peer died, or did not respond within " +
                               std::to_string(options.timeout.count() / 1000) + " s): " + describe(e));
    }
  }
};

ProcessGroup::ProcessGroup(const ProcessGroupOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  if (options.world_size < 1) throw std::invalid_argument("WORLD_SIZE must be at least 1");
  if (options.rank < 0 || options.rank >= options.world_size)
    throw std::invalid_argument("RANK " + std::to_string(options.rank) +
                                " is outside [0, WORLD_SIZE=" + std::to_string(options.world_size) + ")");
  if (options.master_port < 1 || options.master_port > 65535)
    throw std::invalid_argument("MASTER_PORT " + std::to_string(options.master_port) + " is not a TCP port");
  const std::string where = options.master_addr + ":" + std::to_string(options.master_port);
  const std::string secs = std::to_string(options.timeout.count() / 1000);
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(options.master_port);
    so.isServer = options.rank == 0;
    so.numWorkers = static_cast<std::size_t>(options.world_size);
    so.waitWorkers = true;
    so.timeout = options.timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(options.master_addr, so);
  } catch (const std::exception& e) {
    throw std::runtime_error("rendezvous at " + where + " failed on rank " + std::to_string(options.rank) + " of " +
                             std::to_string(options.world_size) + " (not every worker arrived within " + secs +
                             " s, or the address is unusable): " + describe(e));
  }
  try {
    auto gloo = c10d::ProcessGroupGloo::Options::create(options.timeout);
    gloo->devices.push_back(gloo_device(options.master_addr));
    gloo->threads = 2;
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, options.rank, options.world_size, gloo);
  } catch (const std::exception& e) {
    throw std::runtime_error("connecting the Gloo process group (rendezvous " + where + ") failed on rank " +
                             std::to_string(options.rank) + ": " + describe(e));
  }
}

ProcessGroup::~ProcessGroup() = default;

std::unique_ptr<ProcessGroup> ProcessGroup::from_env(std::chrono::milliseconds timeout) {
  ProcessGroupOptions o;
  o.world_size = env_int("WORLD_SIZE", 1, 1, 1 << 16);
  if (o.world_size > 1 && !std::getenv("RANK")) throw std::invalid_argument("WORLD_SIZE > 1 but RANK is not set");
  o.rank = env_int("RANK", 0, 0, o.world_size - 1);
  o.master_addr = env_or("MASTER_ADDR", "127.0.0.1");
  o.master_port = env_int("MASTER_PORT", 29500, 1, 65535);
  o.timeout = timeout;
  return std::make_unique<ProcessGroup>(o);
}

int ProcessGroup::rank() const {
  return impl_->options.rank;
}
int ProcessGroup::world_size() const {
  return impl_->options.world_size;
}

void ProcessGroup::broadcast(std::vector<at::Tensor>& tensors, int root) {
  c10d::BroadcastOptions o;
  o.rootRank = root;
  o.timeout = impl_->options.timeout;
  flat_collective(tensors,
                  [&](std::vector<at::Tensor>& flat) { impl_->wait(impl_->group->broadcast(flat, o), "broadcast"); });
}

void ProcessGroup::allreduce_sum(std::vector<at::Tensor>& tensors) {
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::SUM;
  o.timeout = impl_->options.timeout;
  flat_collective(tensors,
                  [&](std::vector<at::Tensor>& flat) { impl_->wait(impl_->group->allreduce(flat, o), "all-reduce"); });
}

void ProcessGroup::barrier() {
  c10d::BarrierOptions o;
  o.timeout = impl_->options.timeout;
  impl_->wait(impl_->group->barrier(o), "barrier");
}

int world_size_from_env() {
  return env_int("WORLD_SIZE", 1, 1, 1 << 16);
}

}  // namespace unirep::sdk
