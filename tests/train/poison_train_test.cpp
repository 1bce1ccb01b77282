// No silent poison in training: NaN inputs and impossible labels are refused when the data set is
// made, options that would make every weight NaN are refused naming the field, and a run that
// diverges stops at the first non-finite loss with the last good checkpoint left as it was.
#include "models/io/torch_checkpoint.h"
#include "models/backbone/state_dict.h"
#include "sdk/backbone_loader.h"
#include "sdk/train/losses.h"
#include "sdk/train/optimizer.h"
#include "sdk/tasks/train_settings.h"
#include "sdk/train/trainer.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "support/test_support.h"
#include "tiny_layout.h"

using namespace unirep;
using namespace unirep::sdk;
using unirep::testing::TempDir;
using unirep::testing::tiny_config;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Expects `fn` to throw E whose message contains every one of `needles`.
template <typename E, typename Fn>
void expect_message(Fn fn, std::initializer_list<std::string> needles) {
  try {
    fn();
    ADD_FAILURE() << "no exception";
  } catch (const E& e) {
    for (const auto& n : needles)
      EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << "'" << n << "' not in: " << e.what();
  }
}

std::shared_ptr<TensorDataset> data(int64_t n) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  return std::make_shared<TensorDataset>(at::randn({n, 1, 16, 16}, gen),
                                         at::randint(0, 2, {n}, gen, at::TensorOptions().dtype(at::kLong)));
}

TrainOptions options(const std::string& dir, int64_t epochs) {
  TrainOptions o;
  o.epochs = epochs;
  o.batch_size = 16;
  o.workers = 0;
  o.lr = 1e-3;
  o.output_dir = dir;
  return o;
}

// The tiny classifier, spoiled on purpose from its `spoil_at`-th training forward on: the output
// becomes NaN (`nan_output`), or the head's bias is set to NaN behind the forward's back (the loss
// of that step stays finite; only the weights show it).
class SpoiledTask : public Task {
 public:
  SpoiledTask(int64_t spoil_at, bool nan_output)
      : inner_(models::UniRepLKNetOptions(tiny_config())), spoil_at_(spoil_at), nan_output_(nan_output) {}
  torch::nn::Module& model() override { return inner_.model(); }
  bool classification() const override { return true; }
  io::NamedTensors deploy_state() override { return inner_.deploy_state(); }
  at::Tensor forward(const at::Tensor& x) override {
    auto y = inner_.forward(x);
    if (!model().is_training() || ++calls_ < spoil_at_) return y;
    if (nan_output_) return y * kNaN;
    torch::NoGradGuard no_grad;
    inner_.net()->head->bias.fill_(kNaN);
    return y;
  }

 private:
  BackboneClassifier inner_;
  int64_t calls_ = 0, spoil_at_;
  bool nan_output_;
};

}  // namespace

TEST(PoisonTraining, NaNInputsAreRefusedNamingTheSourceAndPosition) {
  auto x = at::rand({4, 3, 8, 8});
  x[2][1][5][6] = kNaN;
  x[3][0][0][0] = std::numeric_limits<float>::infinity();
  expect_message<std::invalid_argument>(
      [&] {
        (void)TensorDataset(x, at::zeros({4}, at::kLong), {"x.npy", "y.npy"});
      },
      {"x.npy: input value at [2, 1, 5, 6] is nan", "2 NaN or infinite values"});
  auto soft = at::full({4, 3}, 1.0 / 3);
  soft[1][2] = kNaN;
  expect_message<std::invalid_argument>(
      [&] {
        (void)TensorDataset(at::rand({4, 3, 8, 8}), soft);
      },
      {"targets: target value at [1, 2] is nan"});
}

TEST(PoisonTraining, LabelsOutsideTheClassesAreRefusedNamingTheSourceAndIndex) {
  expect_message<std::invalid_argument>(
      [] {
        (void)TensorDataset(at::rand({4, 1, 8, 8}), at::tensor({0, 1, -1, 1}, at::kLong), {"x.npy", "y.npy"});
      },
      {"y.npy: label -1 at [2] is negative"});
  TensorDataset d(at::rand({4, 1, 8, 8}), at::tensor({0, 1, 2, 5}, at::kLong), {"x.npy", "y.npy"});
  EXPECT_NO_THROW(d.require_classes(6));
  expect_message<std::invalid_argument>([&] { d.require_classes(3); },
                                        {"y.npy: label 5 at [3] is out of range for 3 classes"});
  // Any data set reaches the loss: a class index the model has no output for is an error there too.
  expect_message<std::invalid_argument>(
      [] {
        cross_entropy(at::zeros({2, 3}), at::tensor({0, -1}, at::kLong));
      },
      {"target class -1 is out of range for a model with 3 outputs"});
  expect_message<std::invalid_argument>(
      [] {
        cross_entropy(at::zeros({2, 3}), at::tensor({0, 3}, at::kLong));
      },
      {"target class 3"});
}

TEST(PoisonTraining, OptionsThatWouldPoisonTheWeightsAreRefusedNamingTheField) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  struct Case {
    std::function<void(TrainOptions&)> set;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[&](TrainOptions& o) { o.lr = nan; }, "TrainOptions.lr must be a finite number > 0, got nan"},
      {[&](TrainOptions& o) { o.lr = inf; }, "TrainOptions.lr must be a finite number > 0, got inf"},
      {[&](TrainOptions& o) { o.lr = 0; }, "TrainOptions.lr must be a finite number > 0, got 0"},
      {[&](TrainOptions& o) { o.min_lr = nan; }, "TrainOptions.min_lr"},
      {[&](TrainOptions& o) { o.warmup_epochs = -1; }, "TrainOptions.warmup_epochs"},
      {[&](TrainOptions& o) { o.optimizer.weight_decay = nan; },
       "TrainOptions.optimizer.weight_decay must be a finite number >= 0, got nan"},
      {[&](TrainOptions& o) { o.optimizer.beta2 = 1.0; },
       "TrainOptions.optimizer.beta2 must be a finite number in [0, 1), got 1"},
      {[&](TrainOptions& o) { o.optimizer.layer_decay = 0; }, "TrainOptions.optimizer.layer_decay"},
      {[&](TrainOptions& o) { o.clip_grad = nan; }, "TrainOptions.clip_grad"},
      {[&](TrainOptions& o) { o.label_smoothing = 2; }, "TrainOptions.label_smoothing"},
      {[&](TrainOptions& o) { o.ema_decay = nan; }, "TrainOptions.ema_decay"},
      {[&](TrainOptions& o) { o.batch_size = 0; }, "TrainOptions.batch_size must be at least 1, got 0"},
  };
  BackboneClassifier task{models::UniRepLKNetOptions(tiny_config())};
  for (const auto& c : cases) {
    TrainOptions o;
    c.set(o);
    expect_message<std::invalid_argument>([&] { check_train_options(o); }, {c.message});
    expect_message<std::invalid_argument>([&] { (void)Trainer(task, o); }, {c.message});
  }
  EXPECT_NO_THROW(check_train_options(TrainOptions{}));
  // From a JSON file, the key of the file is named.
  TrainOptions o;
  expect_message<std::invalid_argument>(
      [&] { unirep::sdk::apply_options_json(o, R"({"weight_decay": -0.5})", "t.json"); },
      {"t.json: option 'weight_decay' must be a finite number >= 0, got '-0.5'"});
}

TEST(PoisonTraining, ANaNLossStopsTrainingAndKeepsTheLastGoodCheckpoint) {
  TempDir d;
  const auto ckpt = d.file("run/checkpoint.pth"), best = d.file("run/best_deploy.safetensors");
  {  // one good epoch (4 steps)
    SpoiledTask task(1000, true);
    Trainer(task, options(d.file("run"), 1)).fit(data(64));
  }
  const auto good_checkpoint = unirep::testing::read_bytes(ckpt), good_best = unirep::testing::read_bytes(best);
  const auto good_metrics = unirep::testing::read_bytes(d.file("run/metrics.jsonl"));
  {  // resumed: the 2nd step of epoch 2 (step 6 of the run) gives NaN
    SpoiledTask task(2, true);
    expect_message<NonFiniteTraining>([&] { Trainer(task, options(d.file("run"), 3)).fit(data(64)); },
                                      {"epoch 2 step 6: loss is nan; last good checkpoint kept in " + ckpt});
  }
  EXPECT_EQ(unirep::testing::read_bytes(ckpt), good_checkpoint);
  EXPECT_EQ(unirep::testing::read_bytes(best), good_best);
  EXPECT_EQ(unirep::testing::read_bytes(d.file("run/metrics.jsonl")), good_metrics);
  EXPECT_NO_THROW(sdk::read_weights(ckpt));  // finite, and still loads
}

TEST(PoisonTraining, NaNInTheFirstEpochSaysNoCheckpointWasWritten) {
  TempDir d;
  SpoiledTask task(3, true);
  expect_message<NonFiniteTraining>([&] { Trainer(task, options(d.file("run"), 2)).fit(data(64)); },
                                    {"epoch 1 step 3: loss is nan; no checkpoint was written yet"});
  EXPECT_FALSE(std::filesystem::exists(d.file("run/checkpoint.pth")));
  EXPECT_FALSE(std::filesystem::exists(d.file("run/best_deploy.safetensors")));
}

TEST(PoisonTraining, WeightsTurnedNaNAreNeverSaved) {
  TempDir d;
  {
    SpoiledTask task(1000, true);
    Trainer(task, options(d.file("run"), 1)).fit(data(64));
  }
  const auto good_checkpoint = unirep::testing::read_bytes(d.file("run/checkpoint.pth"));
  // The last step of epoch 2 spoils a weight while its loss stays finite: the epoch's export and
  // checkpoint must not store it.
  SpoiledTask task(4, false);
  expect_message<NonFiniteTraining>(
      [&] { Trainer(task, options(d.file("run"), 3)).fit(data(64)); },
      {"epoch 2 step 8: the weights became NaN or infinite; last good checkpoint kept in"});
  EXPECT_EQ(unirep::testing::read_bytes(d.file("run/checkpoint.pth")), good_checkpoint);
}

TEST(PoisonTraining, ACheckpointWithNaNWeightsIsNotResumed) {
  TempDir d;
  {
    SpoiledTask task(1000, true);
    Trainer(task, options(d.file("run"), 1)).fit(data(64));
  }
  auto root = io::read_torch_checkpoint(d.file("run/checkpoint.pth"));
  auto weights = models::extract_state_dict(root, "checkpoint");
  for (auto& nt : weights)
    if (nt.name == "head.weight") nt.tensor.view({-1})[3] = kNaN;
  root.set("model", io::state_dict_value(weights));
  io::write_torch_checkpoint(d.file("run/checkpoint.pth"), root);
  SpoiledTask task(1000, true);
  expect_message<std::runtime_error>(
      [&] { Trainer(task, options(d.file("run"), 2)).fit(data(64)); },
      {"cannot resume from " + d.file("run/checkpoint.pth") + ": tensor 'head.weight' holds 1 NaN or infinite value"});
}

TEST(PoisonTraining, OptimizerStateWithNaNIsRefused) {
  auto w = at::zeros({3}).requires_grad_();
  ParamGroup g;
  g.names = {"w"};
  g.params = {w};
  Optimizer opt({g}, OptimizerOptions{});
  w.mutable_grad() = at::ones({3});
  opt.step(0.1);
  auto state = opt.state_dict();
  auto entry = state.find("state")->dict_items().at(0).second;
  auto bad = entry.find("exp_avg")->as_tensor().clone();
  bad[1] = kNaN;
  entry.set("exp_avg", io::PyValue::tensor(bad));
  io::PyValue::DictItems items = {{io::PyValue::integer(0), entry}};
  state.set("state", io::PyValue::dict(items));
  expect_message<std::invalid_argument>([&] { opt.load_state_dict(state); },
                                        {"optimizer state 'exp_avg' of parameter 0 holds NaN"});
}

// A fresh run that fails over an earlier run's files puts them back and says so through the
// progress callback, not on stderr; a callback that throws then does not hide the training error
// (docs/training.md, "Progress and cancelling").
TEST(PoisonTraining, AFailedFreshRunReportsTheEarlierFilesAsANote) {
  TempDir d;
  {
    SpoiledTask task(1000, true);
    Trainer(task, options(d.file("run"), 1)).fit(data(64));
  }
  const auto earlier_checkpoint = unirep::testing::read_bytes(d.file("run/checkpoint.pth"));
  auto fresh = options(d.file("run"), 2);
  fresh.resume = false;
  for (const bool callback_throws : {false, true}) {
    SpoiledTask task(3, true);
    Trainer trainer(task, fresh);
    std::vector<std::string> notes;
    trainer.set_progress([&](const TrainProgress& p) {
      if (p.event != TrainProgress::Event::Note) return true;
      notes.push_back(p.message);
      if (callback_throws) throw std::runtime_error("the app's callback failed");
      return true;
    });
    expect_message<NonFiniteTraining>([&] { trainer.fit(data(64)); }, {"epoch 1 step 3: loss is nan"});
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_EQ(notes[0], d.file("run") + ": this run failed; the earlier run's files are back as they were");
    EXPECT_EQ(unirep::testing::read_bytes(d.file("run/checkpoint.pth")), earlier_checkpoint);
  }
}
