#pragma once
// Data-parallel communication over LibTorch's c10d: a TCPStore rendezvous and a Gloo process group,
// configured like torchrun (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK). Implements the
// trainer's Communicator. Every collective has a timeout: a peer that dies or never arrives ends
// the job with an error instead of a hang.
#include "sdk/train/communicator.h"

#include <chrono>
#include <memory>
#include <string>

namespace unirep::sdk {

struct ProcessGroupOptions {
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  int rank = 0;
  int world_size = 1;
  std::chrono::milliseconds timeout{std::chrono::seconds(300)};
};

class ProcessGroup : public Communicator {
 public:
  explicit ProcessGroup(const ProcessGroupOptions& options);
  ~ProcessGroup() override;
  // Reads MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE; errors name the missing or bad variable.
  static std::unique_ptr<ProcessGroup> from_env(std::chrono::milliseconds timeout);

  int rank() const override;
  int world_size() const override;
  void broadcast(std::vector<at::Tensor>& tensors, int root = 0) override;
  void allreduce_sum(std::vector<at::Tensor>& tensors) override;
  void barrier() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// WORLD_SIZE from the environment (1 when unset).
int world_size_from_env();

}  // namespace unirep::sdk
