// Data-parallel training over c10d/Gloo: synchronized BatchNorm is exact, two processes at batch B
// train like one at 2B, and a dead or missing peer ends the job with an error instead of a hang.
#include "models/io/npy.h"
#include "models/backbone/batch_norm.h"
#include "sdk/backbone_loader.h"
#include "sdk/distributed/process_group.h"
#include "sdk/distributed/sync_batchnorm.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <torch/nn/modules/conv.h>
#include <torch/types.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/test_support.h"

using namespace unirep;
using unirep::testing::TempDir;

namespace {

std::string tiny_config_json(const TempDir& dir) {
  // BatchNorms everywhere (train structure), a Dilated Reparam Block, and a small input.
  const std::string path = dir.file("tiny.json");
  std::ofstream(path) << R"({"depths":[1,1,1,1],"dims":[8,8,16,16],"kernel_sizes":[[7],[3],[5],[3]],)"
                         R"("in_chans":2,"num_classes":3})";
  return path;
}

void write_data(const TempDir& dir, int64_t n) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  auto y = at::randint(0, 3, {n}, gen, at::TensorOptions().dtype(at::kLong));
  auto x = at::randn({n, 2, 16, 16}, gen);
  x.select(1, 0).add_(y.to(at::kFloat).view({n, 1, 1}));  // learnable signal
  io::write_npy(dir.file("x.npy"), x);
  io::write_npy(dir.file("y.npy"), y);
}

std::vector<std::string> train_args(const TempDir& dir, const std::string& out, int batch, int max_steps) {
  return {"train",
          "tensors",
          "--model",
          tiny_config_json(dir),
          "--inputs",
          dir.file("x.npy"),
          "--labels",
          dir.file("y.npy"),
          "-o",
          out,
          "--epochs",
          "1000",
          "--batch-size",
          std::to_string(batch),
          "--optimizer",
          "sgd",
          "--lr",
          "0.05",
          "--warmup-epochs",
          "0",
          "--max-steps",
          std::to_string(max_steps),
          "--seed",
          "3",
          "--workers",
          "1",
          "--threads",
          "1",
          "--timeout",
          "20"};
}

}  // namespace

// Two ranks, each holding half the batch, in two threads of this process: the synchronized
// BatchNorm's output, running statistics and input gradients equal one BatchNorm over the whole batch.
TEST(SyncBatchNorm, TwoRanksEqualOneBigBatch) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
  auto x = at::randn({8, 4, 5, 5}, gen) * 2 + 1;
  auto upstream = at::randn({8, 4, 5, 5}, gen);

  // Reference: one process, batch 8. (Affine parameters made non-trivial.)
  auto make_bn = [] {
    models::BatchNorm2d bn(4);
    torch::NoGradGuard g;
    bn->weight.copy_(torch::tensor({0.5, 1.5, -1.0, 2.0}));
    bn->bias.copy_(torch::tensor({0.1, -0.2, 0.3, 0.0}));
    return bn;
  };
  auto ref_bn = make_bn();
  auto ref_x = x.clone().requires_grad_(true);
  auto ref_y = ref_bn->forward(ref_x);
  (ref_y * upstream).sum().backward();

  const int port = unirep::testing::free_tcp_port();
  struct RankResult {
    at::Tensor y, grad_x, grad_w, running_mean, running_var;
    std::string error;
  };
  std::vector<RankResult> results(2);
  auto run_rank = [&](int rank) {
    try {
      sdk::ProcessGroupOptions o;
      o.master_port = port;
      o.rank = rank;
      o.world_size = 2;
      o.timeout = std::chrono::seconds(30);
      sdk::ProcessGroup group(o);
      auto bn = make_bn();
      EXPECT_EQ(sdk::convert_sync_batchnorm(*bn, group), 1);
      auto xr = x.slice(0, rank * 4, rank * 4 + 4).clone().requires_grad_(true);
      auto y = bn->forward(xr);
      (y * upstream.slice(0, rank * 4, rank * 4 + 4)).sum().backward();
      results[rank] = {
          y.detach(), xr.grad(), bn->weight.grad().clone(), bn->running_mean.clone(), bn->running_var.clone(), ""};
      group.barrier();
    } catch (const std::exception& e) {
      results[rank].error = e.what();
    }
  };
  std::thread t0(run_rank, 0), t1(run_rank, 1);
  t0.join();
  t1.join();
  ASSERT_EQ(results[0].error, "");
  ASSERT_EQ(results[1].error, "");
  auto y = at::cat({results[0].y, results[1].y});
  auto gx = at::cat({results[0].grad_x, results[1].grad_x});
  EXPECT_LT(unirep::testing::max_abs_diff(y, ref_y.detach()), 1e-5);
  EXPECT_LT(unirep::testing::max_abs_diff(gx, ref_x.grad()), 1e-5);
  // Each rank's weight gradient covers its half; their sum is the whole batch's.
  EXPECT_LT(unirep::testing::max_abs_diff(results[0].grad_w + results[1].grad_w, ref_bn->weight.grad()), 1e-5);
  for (int r = 0; r < 2; ++r) {
    EXPECT_LT(unirep::testing::max_abs_diff(results[r].running_mean, ref_bn->running_mean), 1e-6);
    EXPECT_LT(unirep::testing::max_abs_diff(results[r].running_var, ref_bn->running_var), 1e-5);
  }
}

// `unirep train --nproc 2 --sync-bn` at batch 4 gives the weights of one process at batch 8.
TEST(DistributedTraining, TwoProcessesMatchOneProcessWithDoubleBatch) {
  TempDir dir;
  write_data(dir, 32);
  auto one = train_args(dir, dir.file("one"), 8, 3);
  auto r1 = unirep::testing::run_cli(one);
  ASSERT_EQ(r1.exit_code, 0) << r1.output;
  auto two = train_args(dir, dir.file("two"), 4, 3);
  two.insert(two.end(), {"--nproc", "2", "--sync-bn"});
  auto r2 = unirep::testing::run_cli(two);
  ASSERT_EQ(r2.exit_code, 0) << r2.output;

  auto a = sdk::read_weights(dir.file("one/checkpoint.pth"));
  auto b = sdk::read_weights(dir.file("two/checkpoint.pth"));
  ASSERT_EQ(a.size(), b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].name, b[i].name);
    if (!a[i].tensor.is_floating_point()) {
      EXPECT_TRUE(a[i].tensor.equal(b[i].tensor)) << a[i].name;
      continue;
    }
    worst = std::max(worst, unirep::testing::max_abs_diff(a[i].tensor, b[i].tensor) /
                                std::max(1.0, unirep::testing::max_abs(a[i].tensor)));
  }
  EXPECT_LT(worst, 1e-4) << "largest relative weight difference between 1x8 and 2x4";
  // Only rank 0 writes logs.
  std::ifstream metrics(dir.file("two/metrics.jsonl"));
  std::string line;
  int lines = 0;
  while (std::getline(metrics, line)) ++lines;
  EXPECT_LE(lines, 1);
}

// A worker killed mid-training makes its peer fail (non-zero) well within the timeout.
TEST(DistributedTraining, KilledWorkerEndsThePeer) {
  TempDir dir;
  write_data(dir, 64);
  const std::string port = std::to_string(unirep::testing::free_tcp_port());
  auto args = train_args(dir, dir.file("run"), 4, 1000000);
  std::vector<int> pids;
  for (int rank = 0; rank < 2; ++rank)
    pids.push_back(unirep::testing::spawn_cli(
        args, {"RANK=" + std::to_string(rank), "WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + port},
        dir.file("rank" + std::to_string(rank) + ".log")));
  // Let both get into training (rank 0 writes a checkpoint folder as it starts).
  std::this_thread::sleep_for(std::chrono::seconds(4));
  ASSERT_EQ(kill(pids[1], SIGKILL), 0);
  EXPECT_EQ(unirep::testing::wait_exit(pids[1], 10), 128 + SIGKILL);
  const auto start = std::chrono::steady_clock::now();
  const int code = unirep::testing::wait_exit(pids[0], 40);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string log = unirep::testing::read_bytes(dir.file("rank0.log"));
  EXPECT_NE(code, -1) << "rank 0 still running 40 s after its peer died\n" << log;
  EXPECT_NE(code, 0) << log;
  EXPECT_LT(waited, 25.0) << "the timeout is 20 s";
  EXPECT_NE(log.find("distributed"), std::string::npos) << log;
}

// Rank 0 of a two-process job whose peer never arrives gives up after --timeout with a clear error.
TEST(DistributedTraining, MissingPeerFailsAfterTheTimeout) {
  TempDir dir;
  write_data(dir, 16);
  auto args = train_args(dir, dir.file("run"), 4, 2);
  args.back() = "3";  // --timeout 3
  const auto start = std::chrono::steady_clock::now();
  const int pid = unirep::testing::spawn_cli(args,
                                             {"RANK=0", "WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1",
                                              "MASTER_PORT=" + std::to_string(unirep::testing::free_tcp_port())},
                                             dir.file("rank0.log"));
  const int code = unirep::testing::wait_exit(pid, 30);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string log = unirep::testing::read_bytes(dir.file("rank0.log"));
  EXPECT_NE(code, -1) << "hung waiting for the peer\n" << log;
  EXPECT_NE(code, 0) << log;
  EXPECT_LT(waited, 20.0);
  EXPECT_NE(log.find("rendezvous"), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(dir.file("run/checkpoint.pth")));
}

// The --nproc launcher: when one worker dies, the others are stopped and the job fails.
TEST(DistributedTraining, LauncherStopsTheJobWhenAWorkerDies) {
  TempDir dir;
  write_data(dir, 64);
  auto args = train_args(dir, dir.file("run"), 4, 1000000);
  args.insert(args.end(), {"--nproc", "2"});
  const int launcher = unirep::testing::spawn_cli(args, {}, dir.file("launcher.log"));
  std::this_thread::sleep_for(std::chrono::seconds(4));
  // The launcher's children are the workers.
  std::ifstream children("/proc/" + std::to_string(launcher) + "/task/" + std::to_string(launcher) + "/children");
  std::vector<int> workers;
  for (int p; children >> p;) workers.push_back(p);
  ASSERT_EQ(workers.size(), 2u) << unirep::testing::read_bytes(dir.file("launcher.log"));
  ASSERT_EQ(kill(workers[1], SIGKILL), 0);
  const int code = unirep::testing::wait_exit(launcher, 40);
  const std::string log = unirep::testing::read_bytes(dir.file("launcher.log"));
  EXPECT_NE(code, -1) << "launcher still running\n" << log;
  EXPECT_NE(code, 0) << log;
  EXPECT_NE(log.find("worker failed"), std::string::npos) << log;
  for (int w : workers) EXPECT_NE(kill(w, 0), 0) << "worker " << w << " outlived the job";
}
