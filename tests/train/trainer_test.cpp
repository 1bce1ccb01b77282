// The training engine end to end on a small model: it learns, it resumes exactly, it freezes,
// what it writes loads back as official-layout weights, and it reports progress to a callback
// that can stop it.
#include "models/io/safetensors.h"
#include "models/io/torch_checkpoint.h"
#include "models/backbone/state_dict.h"
#include "sdk/backbone_loader.h"
#include "sdk/tasks/train_settings.h"
#include "sdk/train/trainer.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "support/test_support.h"
#include "tiny_layout.h"

using namespace unirep;
using namespace unirep::sdk;
using unirep::testing::TempDir;
using unirep::testing::tiny_config;

namespace {

// Class 0: a bright top half; class 1: a bright bottom half; plus noise. Linearly separable.
std::shared_ptr<TensorDataset> halves(int64_t n, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto labels = at::randint(0, 2, {n}, gen, at::TensorOptions().dtype(at::kLong));
  auto x = at::randn({n, 1, 16, 16}, gen) * 0.3;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t half = labels[i].item<int64_t>();
    x[i].slice(1, half * 8, half * 8 + 8).add_(1.0);
  }
  return std::make_shared<TensorDataset>(x, labels);
}

TrainOptions small_options(const std::string& dir) {
  TrainOptions o;
  o.epochs = 4;
  o.batch_size = 16;
  o.workers = 2;
  o.lr = 5e-3;
  o.min_lr = 1e-5;
  o.warmup_epochs = 0.5;
  o.output_dir = dir;
  o.seed = 3;
  return o;
}

io::NamedTensors weights_of(Task& task) {
  io::NamedTensors out;
  for (auto& nt : models::state_dict(task.model())) out.push_back({nt.name, nt.tensor.clone()});
  return out;
}

double max_weight_diff(const io::NamedTensors& a, const io::NamedTensors& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    if (a[i].tensor.is_floating_point()) d = std::max(d, (a[i].tensor - b[i].tensor).abs().max().item<double>());
  }
  return d;
}

std::unique_ptr<BackboneClassifier> fresh_task(double drop_path = 0.1) {
  torch::manual_seed(11);
  return std::make_unique<BackboneClassifier>(models::UniRepLKNetOptions(tiny_config()).drop_path_rate(drop_path));
}

// Two ranks as two threads of this process: each collective waits for both, and the one that
// arrives last combines their tensors (docs/distributed.md has the real process group).
class TwoThreadRanks {
 public:
  using Combine = std::function<void(std::vector<at::Tensor>&, std::vector<at::Tensor>&)>;
  void meet(int rank, std::vector<at::Tensor>& tensors, const Combine& combine) {
    std::unique_lock<std::mutex> lock(mu_);
    slots_[rank] = &tensors;
    const int64_t generation = generation_;
    if (++arrived_ < 2) {
      cv_.wait(lock, [&] { return generation_ != generation; });
      return;
    }
    torch::NoGradGuard no_grad;  // parameters are broadcast in place
    combine(*slots_[0], *slots_[1]);
    arrived_ = 0;
    ++generation_;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<at::Tensor>* slots_[2] = {nullptr, nullptr};
  int arrived_ = 0;
  int64_t generation_ = 0;
};

class ThreadRank : public Communicator {
 public:
  ThreadRank(TwoThreadRanks& ranks, int rank) : ranks_(ranks), rank_(rank) {}
  int rank() const override { return rank_; }
  int world_size() const override { return 2; }
  void broadcast(std::vector<at::Tensor>& tensors, int root) override {
    ranks_.meet(rank_, tensors, [root](auto& a, auto& b) {
      for (size_t i = 0; i < a.size(); ++i) (root == 0 ? b : a)[i].copy_((root == 0 ? a : b)[i]);
    });
  }
  void allreduce_sum(std::vector<at::Tensor>& tensors) override {
    ranks_.meet(rank_, tensors, [](auto& a, auto& b) {
      for (size_t i = 0; i < a.size(); ++i) {
        const auto sum = a[i] + b[i];
        a[i].copy_(sum);
        b[i].copy_(sum);
      }
    });
  }
  void barrier() override {
    std::vector<at::Tensor> none;
    ranks_.meet(rank_, none, [](auto&, auto&) {});
  }

 private:
  TwoThreadRanks& ranks_;
  int rank_;
};

}  // namespace

TEST(Trainer, LearnsASeparableProblem) {
  TempDir tmp;
  auto task = fresh_task(0.0);
  auto train = halves(256, 1), val = halves(128, 2);
  auto o = small_options(tmp.path());
  o.epochs = 6;
  Trainer trainer(*task, o);
  auto result = trainer.fit(train, val);
  EXPECT_EQ(result.epochs_completed, 6);
  EXPECT_GE(result.last_eval.at("val_top1"), 95.0) << "val loss " << result.last_eval.at("val_loss");
  EXPECT_GT(result.samples_per_second, 0.0);

  // What it wrote: a metrics line per epoch, an official-layout checkpoint, the best model fused.
  std::ifstream log(tmp.file("metrics.jsonl"));
  int lines = 0;
  for (std::string line; std::getline(log, line);) {
    EXPECT_NE(line.find("\"val_top1\""), std::string::npos);
    ++lines;
  }
  EXPECT_EQ(lines, 6);
  auto ck = io::read_torch_checkpoint(tmp.file("checkpoint.pth"));
  models::UniRepLKNet reloaded{models::UniRepLKNetOptions(tiny_config())};
  EXPECT_TRUE(models::load_state_dict(*reloaded, models::extract_state_dict(ck, "checkpoint.pth")).clean());
  models::UniRepLKNet deploy{models::UniRepLKNetOptions(tiny_config()).deploy(true)};
  EXPECT_TRUE(models::load_state_dict(*deploy, io::read_safetensors(tmp.file("best_deploy.safetensors"))).clean());
  deploy->eval();
  BackboneClassifier deployed_task(models::UniRepLKNetOptions(tiny_config()).deploy(true));
  models::load_state_dict(deployed_task.model(), models::state_dict(*deploy));
  EXPECT_GE(Trainer(deployed_task, o).evaluate(*val).at("top1"), 95.0);
}

// Gradient accumulation: each batch of 16 runs as 4 micro-batches of 4; one optimizer step per
// batch as before, and the model still learns.
TEST(Trainer, AccumulatedMicroBatchesTakeOneStepPerBatchAndLearn) {
  TempDir tmp;
  auto task = fresh_task(0.0);
  auto train = halves(256, 1), val = halves(128, 2);
  auto o = small_options(tmp.path());
  o.epochs = 6;
  o.accumulate = 4;
  Trainer trainer(*task, o);
  auto result = trainer.fit(train, val);
  EXPECT_EQ(result.steps, 6 * (256 / 16));
  EXPECT_GE(result.last_eval.at("val_top1"), 95.0) << "val loss " << result.last_eval.at("val_loss");
  o.accumulate = 0;
  EXPECT_THROW(Trainer(*task, o), std::invalid_argument);
}

TEST(Trainer, ResumeGivesTheSameWeightsAsAStraightRun) {
  TempDir straight_dir, split_dir;
  auto train = halves(96, 5), val = halves(32, 6);

  auto straight = fresh_task();
  Trainer(*straight, small_options(straight_dir.path())).fit(train, val);

  auto first = fresh_task();
  auto o = small_options(split_dir.path());
  o.epochs = 4;
  o.max_steps = 2 * 6 + 3;  // stop mid-epoch 3 (6 batches per epoch)
  auto partial = Trainer(*first, o).fit(train, val);
  EXPECT_EQ(partial.steps, 15);

  auto second = fresh_task();  // a new process would start from fresh weights and read the checkpoint
  o.max_steps = -1;
  auto done = Trainer(*second, o).fit(train, val);
  EXPECT_EQ(done.steps, 24);
  EXPECT_LE(max_weight_diff(weights_of(*straight), weights_of(*second)), 1e-6);
}

TEST(Trainer, HeadOnlyFineTuningLeavesTheBackboneUntouched) {
  TempDir tmp;
  auto task = fresh_task();
  auto before = weights_of(*task);
  auto o = small_options(tmp.path());
  o.epochs = 1;
  o.trainable_stages = 0;
  o.ema_decay = 0.9;
  Trainer(*task, o).fit(halves(64, 8));
  auto after = weights_of(*task);
  for (size_t i = 0; i < before.size(); ++i) {
    const bool head = before[i].name.rfind("head.", 0) == 0 || before[i].name.rfind("norm.", 0) == 0;
    const bool changed = !at::equal(before[i].tensor, after[i].tensor);
    if (before[i].name.find("running_") != std::string::npos || before[i].name.find("num_batches") != std::string::npos)
      continue;
    EXPECT_EQ(changed, head) << before[i].name;
  }
  auto ck = io::read_torch_checkpoint(tmp.file("checkpoint.pth"));
  EXPECT_NE(ck.find("ema"), nullptr);
}

// A checkpoint.pth in the output folder that this run cannot continue (another model's, or plain
// weights without the optimizer and counters) is refused with the file and the way out, no crash.
TEST(Trainer, ResumeRefusesACheckpointItCannotContinue) {
  TempDir tmp;
  auto o = small_options(tmp.path());
  o.epochs = 1;
  {
    auto task = fresh_task();
    Trainer(*task, o).fit(halves(32, 1));
  }
  auto expect_refused = [&](Task& task, const std::string& why) {
    try {
      Trainer(task, o).fit(halves(32, 1));
      ADD_FAILURE() << "resumed from " << why;
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("cannot resume from " + tmp.file("checkpoint.pth")), std::string::npos) << msg;
      EXPECT_NE(msg.find("TrainOptions::resume = false"), std::string::npos) << msg;
      EXPECT_EQ(msg.find("--no-resume"), std::string::npos) << "the SDK names its own option: " << msg;
    }
  };
  auto wider_config = tiny_config();
  wider_config.dims = {8, 16, 16, 32};
  BackboneClassifier other{models::UniRepLKNetOptions(wider_config)};
  expect_refused(other, "another model's checkpoint");

  // Official-style weights ({'model': state_dict}) that match, but nothing to continue from.
  auto task = fresh_task();
  sdk::write_weights(tmp.file("checkpoint.pth"), weights_of(*task));
  expect_refused(*task, "a weights file without the optimizer");

  // Starting over is the way out.
  o.resume = false;
  EXPECT_EQ(Trainer(*task, o).fit(halves(32, 1)).epochs_completed, 1);
}

TEST(Trainer, OptionsFromJsonRejectUnknownKeys) {
  TrainOptions o;
  unirep::sdk::apply_options_json(
      o, R"({"epochs": 3, "lr": 0.01, "optimizer": "sgd", "layer_decay": 0.7, "betas": [0.8, 0.99]})", "t.json");
  EXPECT_EQ(o.epochs, 3);
  EXPECT_EQ(o.optimizer.kind, OptimizerKind::SGD);
  EXPECT_DOUBLE_EQ(o.optimizer.layer_decay, 0.7);
  EXPECT_DOUBLE_EQ(o.optimizer.beta1, 0.8);
  try {
    unirep::sdk::apply_options_json(o, R"({"epoch": 3})", "t.json");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("t.json: 'epoch' is not an option here"), std::string::npos) << e.what();
  }
  EXPECT_THROW(unirep::sdk::apply_options_json(o, R"({"lr": "fast"})", "t.json"), std::invalid_argument);
  EXPECT_THROW(unirep::sdk::apply_options_json(o, R"({"epochs": 0})", "t.json"), std::invalid_argument);
}

// The progress callback (docs/training.md, "Progress and cancelling"): it sees every step in
// order and each epoch's metrics, and a false answer stops the run after that step with a
// checkpoint that resumes to the same weights as a run that was never stopped.
TEST(Trainer, ProgressCallbackSeesEachStepAndEpochAndCanStopTheRun) {
  using Event = TrainProgress::Event;
  TempDir straight_dir, split_dir;
  auto train = halves(96, 5), val = halves(32, 6);  // 6 batches per epoch
  auto o = small_options(split_dir.path());
  o.epochs = 3;

  auto first = fresh_task();
  Trainer stopped_trainer(*first, o);
  std::vector<TrainProgress> seen;
  stopped_trainer.set_progress([&](const TrainProgress& p) {
    seen.push_back(p);
    return !(p.event == Event::Step && p.step == 9);  // stop in the middle of epoch 2
  });
  const auto stopped = stopped_trainer.fit(train, val);
  EXPECT_TRUE(stopped.interrupted);
  EXPECT_EQ(stopped.steps, 9);
  EXPECT_EQ(stopped.epochs_completed, 1);

  int64_t steps = 0, epoch_ends = 0;
  for (const auto& p : seen) {
    EXPECT_EQ(p.epochs, 3);
    EXPECT_EQ(p.batches, 6);
    if (p.event == Event::Step) {
      EXPECT_EQ(p.step, ++steps);
      EXPECT_EQ(p.epoch, 1 + (p.step - 1) / 6);
      EXPECT_EQ(p.batch, 1 + (p.step - 1) % 6);
      EXPECT_TRUE(std::isfinite(p.loss) && p.loss > 0) << p.loss;
      if (p.step > 1) EXPECT_GT(p.lr, 0.0);  // warm-up starts from warmup_lr = 0
      EXPECT_GT(p.samples_per_second, 0.0);
    } else if (p.event == Event::EpochEnd) {
      ++epoch_ends;
      EXPECT_EQ(p.epoch, 1);
      EXPECT_EQ(p.step, 6);
      for (const char* k : {"train_loss", "val_loss", "val_top1"}) EXPECT_EQ(p.metrics.count(k), 1u) << k;
      EXPECT_DOUBLE_EQ(p.metrics.at("train_loss"), p.loss);
    }
  }
  EXPECT_EQ(steps, 9);
  EXPECT_EQ(epoch_ends, 1);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().event, Event::Stopped);
  EXPECT_EQ(seen.back().message, "stopped; resumable checkpoint in " + split_dir.file("checkpoint.pth"));

  // A new trainer resumes from the checkpoint and says so first.
  auto second = fresh_task();
  Trainer resumed_trainer(*second, o);
  std::vector<TrainProgress> later;
  resumed_trainer.set_progress([&](const TrainProgress& p) {
    later.push_back(p);
    return true;
  });
  const auto done = resumed_trainer.fit(train, val);
  EXPECT_FALSE(done.interrupted);
  EXPECT_EQ(done.steps, 18);
  EXPECT_EQ(done.epochs_completed, 3);
  ASSERT_GE(later.size(), 2u);
  EXPECT_EQ(later[0].event, Event::Resumed);
  EXPECT_EQ(later[0].message, "resumed from " + split_dir.file("checkpoint.pth") + " at epoch 1, step 9");
  EXPECT_EQ(later[1].event, Event::Step);
  EXPECT_EQ(later[1].step, 10);
  EXPECT_EQ(later.back().event, Event::EpochEnd);
  EXPECT_EQ(later.back().epoch, 3);

  auto straight = fresh_task();
  o.output_dir = straight_dir.path();
  Trainer(*straight, o).fit(train, val);  // no callback: silent, and the same run
  EXPECT_LE(max_weight_diff(weights_of(*straight), weights_of(*second)), 1e-6);
}

// In a data-parallel run only rank 0 hears progress, and its cancel goes through the same vote as
// Ctrl-C: every rank stops after the same step, interrupted, with rank 0's checkpoint written.
TEST(Trainer, ACancelOnRankZeroStopsEveryRankAtTheSameStep) {
  TempDir tmp;
  auto train = halves(96, 5);  // 3 batches of 16 per rank and epoch
  TwoThreadRanks ranks;
  TrainResult results[2];
  int64_t rank1_calls = 0;
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      ThreadRank comm(ranks, r);
      auto task = fresh_task(0.0);
      auto o = small_options(tmp.path());
      o.epochs = 3;
      Trainer trainer(*task, o, &comm);
      trainer.set_progress([&, r](const TrainProgress& p) {
        if (r != 0) ++rank1_calls;
        return !(p.event == TrainProgress::Event::Step && p.step == 4);  // the first step of epoch 2
      });
      results[r] = trainer.fit(train);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(rank1_calls, 0);
  for (const auto& result : results) {
    EXPECT_TRUE(result.interrupted);
    EXPECT_EQ(result.steps, 4);
    EXPECT_EQ(result.epochs_completed, 1);
  }
  const auto ck = io::read_torch_checkpoint(tmp.file("checkpoint.pth"));
  EXPECT_EQ(ck.find("step")->as_int(), 4);
}

TEST(Trainer, RecomputeRefusesTheBf16Autocast) {
  TempDir tmp;
  auto task = fresh_task();
  auto o = small_options(tmp.path());
  o.recompute = true;
  o.bf16 = true;
  EXPECT_THROW(Trainer(*task, o), std::invalid_argument);
}
