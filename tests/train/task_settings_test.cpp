// The one table of options (docs/training.md, "One table of options"): values are checked as the
// table says, JSON and text give the same settings, defaults come from the option structs, and
// the training options land in TrainOptions.
#include "modalities/audio/audio_input.h"
#include "modalities/points/point_input.h"
#include "sdk/tasks/task_registry.h"
#include "sdk/tasks/train_settings.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

using namespace unirep::sdk;

namespace {

std::string problem(const Settings& base, const std::string& key, const std::string& value) {
  Settings s = base;
  try {
    s.set(key, value, "src");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(TaskSettings, ValuesAreCheckedAsTheTableSays) {
  Settings s({integer_option("n", 4, "count", 1, 64), number_option("x", 0.5, "rate", 0, 1),
              flag_option("f", false, "switch"), text_option("k", "ce", "kind", {"ce", "mse"})});
  EXPECT_EQ(problem(s, "n", "0"), "src: option 'n' must be an integer from 1 to 64, got '0'");
  EXPECT_NE(problem(s, "n", "1.5").find("must be an integer"), std::string::npos);
  EXPECT_NE(problem(s, "n", "99999999999999999999999").find("must be an integer"), std::string::npos);
  EXPECT_NE(problem(s, "x", "nan").find("must be a finite number from 0 to 1"), std::string::npos);
  EXPECT_NE(problem(s, "x", "0.5x").find("must be a finite number"), std::string::npos);
  EXPECT_NE(problem(s, "f", "yes").find("must be true or false"), std::string::npos);
  EXPECT_NE(problem(s, "k", "bce").find("must be one of ce | mse"), std::string::npos);
  EXPECT_NE(problem(s, "nope", "1").find("'nope' is not an option"), std::string::npos);
  EXPECT_EQ(s.integer("n"), 4);  // defaults until set
  s.set("n", "8");
  s.set("f", "true");
  EXPECT_EQ(s.integer("n"), 8);
  EXPECT_TRUE(s.flag("f"));
  EXPECT_TRUE(s.given("n"));
  EXPECT_FALSE(s.given("x"));
  EXPECT_THROW(s.number("n"), std::logic_error);  // a read of the wrong type is the caller's bug
}

TEST(TaskSettings, JsonGivesTheSameSettingsAndRoundTrips) {
  Settings a(train_option_list()), b(train_option_list());
  a.set_json(R"({"epochs": 3, "lr": 0.002, "bf16": true, "betas": [0.8, 0.99], "optimizer": "sgd"})", "t.json");
  b.set("epochs", "3"), b.set("lr", "0.002"), b.set("bf16", "true"), b.set("betas", "0.8,0.99"),
      b.set("optimizer", "sgd");
  EXPECT_EQ(a.to_json(), b.to_json());
  Settings c(train_option_list());
  c.set_json(a.to_json(), "run_config.json");
  EXPECT_EQ(c.to_json(), a.to_json());
  const auto t = read_train_options(a);
  EXPECT_EQ(t.epochs, 3);
  EXPECT_DOUBLE_EQ(t.lr, 0.002);
  EXPECT_TRUE(t.bf16);
  EXPECT_DOUBLE_EQ(t.optimizer.beta1, 0.8);
  EXPECT_EQ(t.optimizer.kind, unirep::sdk::OptimizerKind::SGD);
  Settings bad(train_option_list());
  EXPECT_THROW(bad.set_json(R"({"epochs": [1, {"a": 2}]})", "t.json"), std::invalid_argument);
  EXPECT_THROW(bad.set_json(R"([1, 2])", "t.json"), std::invalid_argument);
  EXPECT_THROW(bad.set_json(R"({"epoch": 1})", "t.json"), std::invalid_argument);
}

TEST(TaskSettings, UntouchedOptionsKeepTheDefaultsOfTheEngineAndTheTask) {
  Settings s(train_option_list());
  const auto t = read_train_options(s);
  const unirep::sdk::TrainOptions d;
  EXPECT_EQ(t.epochs, d.epochs);
  EXPECT_EQ(t.batch_size, d.batch_size);
  EXPECT_DOUBLE_EQ(t.lr, d.lr);
  EXPECT_EQ(t.resume, d.resume);
  const auto& audio = find_task_recipe("audio");
  Settings a(audio.training_options());
  EXPECT_EQ(a.integer("target_frames"), unirep::modalities::AudioInputOptions{}.target_frames);
  EXPECT_DOUBLE_EQ(a.number("norm_mean"), unirep::modalities::AudioInputOptions{}.norm_mean);
  const auto& forecast = find_task_recipe("timeseries");
  Settings f(forecast.training_options());
  EXPECT_EQ(read_train_options(f, forecast.training_defaults()).loss, unirep::sdk::LossKind::MSE);
}

TEST(TaskSettings, EveryTaskHasOneOptionPerKeyAndEachKeyHasOneMeaning) {
  std::map<std::string, Option> seen;
  for (const auto* r : task_recipes()) {
    std::set<std::string> keys;
    for (const auto& o : r->training_options()) {
      EXPECT_TRUE(keys.insert(o.key).second) << r->name() << ": " << o.key << " twice";
      const auto [it, fresh] = seen.emplace(o.key, o);
      if (!fresh)
        EXPECT_EQ(static_cast<int>(it->second.type), static_cast<int>(o.type))
            << o.key << " changes type in " << r->name();
      if (!o.default_value.empty()) EXPECT_EQ(value_problem(o, o.default_value), "") << r->name() << ": " << o.key;
    }
    EXPECT_THROW(find_task_recipe("no-such-task"), std::invalid_argument);
  }
}

// `unirep preprocess` goes through the recipes: a task's preprocess() is the modality's own
// evaluation-time input, with the options of its table.
TEST(TaskSettings, PreprocessIsTheModalitysInputWithTheTablesOptions) {
  std::vector<std::string> with_input;
  for (const auto* r : task_recipes())
    if (!r->preprocess_options().empty()) with_input.push_back(r->name());
  EXPECT_EQ(with_input, (std::vector<std::string>{"audio", "image", "video", "points"}));

  const auto& tensors = find_task_recipe("tensors");
  try {
    tensors.preprocess("x.npy", Settings());
    FAIL() << "tensors has no per-file input";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "task 'tensors' has no per-file input to preprocess");
  }

  const auto path = std::filesystem::temp_directory_path() / "unirep_preprocess_points.xyz";
  {
    std::ofstream out(path);
    for (int i = 0; i < 64; ++i) out << (i % 4) << ' ' << (i / 4 % 4) << ' ' << (i / 16) << '\n';
  }
  const auto& points = find_task_recipe("points");
  Settings s(points.preprocess_options());
  s.set("points", "16");
  const auto got = points.preprocess(path.string(), s);
  unirep::modalities::PointInputOptions o;
  o.points = 16;
  const auto want = unirep::modalities::load_point_input(path.string(), o);
  EXPECT_TRUE(got.tensor.equal(want));
  EXPECT_EQ(got.summary, "16 x 3 points");
  std::filesystem::remove(path);
}
