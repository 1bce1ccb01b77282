// The training engine end to end on a small model: it learns, it resumes exactly, it freezes,
// and what it writes loads back as official-layout weights.
#include <unirep/io/safetensors.h>
#include <unirep/io/torch_checkpoint.h>
#include <unirep/models/state_dict.h>
#include <unirep/sdk/backbone_loader.h>
#include <unirep/sdk/train/trainer.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/types.h>

#include <filesystem>
#include <fstream>

#include "support/test_support.h"
#include "tiny_layout.h"

using namespace unirep;
using namespace unirep::sdk::train;
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
  o.progress = false;
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
    if (before[i].name.find("running_") != std::string::npos || before[i].name.find("num_batches") != std::string::npos) continue;
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
  apply_options_json(o, R"({"epochs": 3, "lr": 0.01, "optimizer": "sgd", "layer_decay": 0.7, "betas": [0.8, 0.99]})", "t.json");
  EXPECT_EQ(o.epochs, 3);
  EXPECT_EQ(o.optimizer.kind, OptimizerKind::SGD);
  EXPECT_DOUBLE_EQ(o.optimizer.layer_decay, 0.7);
  EXPECT_DOUBLE_EQ(o.optimizer.beta1, 0.8);
  try {
    apply_options_json(o, R"({"epoch": 3})", "t.json");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown training option 'epoch'"), std::string::npos);
  }
  EXPECT_THROW(apply_options_json(o, R"({"lr": "fast"})", "t.json"), std::invalid_argument);
  EXPECT_THROW(apply_options_json(o, R"({"epochs": 0})", "t.json"), std::invalid_argument);
}
