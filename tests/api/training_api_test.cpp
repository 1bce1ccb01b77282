// The public training API (include/unirep/api/training.h) and its C twin: an app trains a task from
// options as text or JSON, sees progress and can stop the run, gets the same files as `unirep
// train`, and gets unirep::Error naming the key for bad options.
#include <unirep/unirep.hpp>

#include "models/io/npy.h"

#include <support/test_support.h>

#include "../train/tiny_layout.h"

#include <ATen/ATen.h>

#include <algorithm>
namespace {

// 24 one-channel 16 x 16 inputs whose class is the sign of their mean, and the tiny layout.
std::map<std::string, std::string> tiny_tensor_task(const unirep::testing::TempDir& d) {
  at::manual_seed(3);
  auto y = at::randint(0, 2, {24}, at::kLong);
  auto x = at::randn({24, 1, 16, 16}) + (y.to(at::kFloat) * 2 - 1).view({24, 1, 1, 1});
  unirep::io::write_npy(d.file("x.npy"), x);
  unirep::io::write_npy(d.file("y.npy"), y);
  unirep::testing::write_bytes(d.file("tiny.json"), unirep::testing::tiny_config().to_json());
  return {{"model", d.file("tiny.json")},
          {"inputs", d.file("x.npy")},
          {"labels", d.file("y.npy")},
          {"output_dir", d.file("run")},
          {"epochs", "2"},
          {"batch_size", "8"},
          {"workers", "0"}};
}

template <class F>
unirep::Error error_of(F&& f) {
  try {
    f();
  } catch (const unirep::Error& e) {
    return e;
  }
  return unirep::Error(unirep::StatusCode::kOk, "");
}

}  // namespace

TEST(TrainingApi, ListsTheTasksAndEachTasksOptions) {
  const auto tasks = unirep::training_tasks();
  for (const char* t : {"tensors", "audio", "image", "video", "points"})
    EXPECT_NE(std::find(tasks.begin(), tasks.end(), t), tasks.end()) << t;
  const auto options = unirep::training_options("audio");
  auto find = [&](const std::string& key) {
    return *std::find_if(options.begin(), options.end(), [&](const unirep::TrainingOption& o) { return o.key == key; });
  };
  EXPECT_TRUE(find("data").required);
  EXPECT_EQ(find("epochs").type, "integer");
  EXPECT_EQ(find("epochs").default_value, "10");
  EXPECT_EQ(find("target_frames").default_value, "128");
  EXPECT_EQ(error_of([] { unirep::training_options("sonar"); }).code(), unirep::StatusCode::kInvalidArgument);
}

TEST(TrainingApi, TrainsWritesTheCliFilesAndReportsProgress) {
  unirep::testing::TempDir d;
  std::vector<unirep::TrainingProgress> seen;
  const auto r = unirep::train("tensors", tiny_tensor_task(d),
                               [&](const unirep::TrainingProgress& p) {
                                 seen.push_back(p);
                                 return true;
                               },
                               {1});
  EXPECT_EQ(r.epochs_completed, 2);
  EXPECT_EQ(r.steps, 6);  // 24 / 8 per epoch
  EXPECT_FALSE(r.stopped);
  EXPECT_EQ(r.model_file, d.file("run/best_deploy.safetensors"));
  for (const char* f : {"checkpoint.pth", "metrics.jsonl", "run_config.json", "best_deploy.safetensors"})
    EXPECT_TRUE(unirep::testing::file_exists(d.file(std::string("run/") + f))) << f;
  EXPECT_NE(unirep::testing::read_bytes(d.file("run/run_config.json")).find("\"task\": \"tensors\""),
            std::string::npos);
  int64_t last_step = 0, epoch_ends = 0;
  for (const auto& p : seen) {
    if (p.event == unirep::TrainingProgress::Event::kStep) {
      EXPECT_EQ(p.step, last_step + 1);
      last_step = p.step;
      EXPECT_TRUE(std::isfinite(p.loss));
    }
    if (p.event == unirep::TrainingProgress::Event::kEpochEnd) {
      ++epoch_ends;
      EXPECT_TRUE(p.metrics.count("train_loss"));
    }
  }
  EXPECT_EQ(last_step, 6);
  EXPECT_EQ(epoch_ends, 2);
}

TEST(TrainingApi, TheCallbackStopsTheRunAndTheSameCallResumesIt) {
  unirep::testing::TempDir d;
  auto options = tiny_tensor_task(d);
  const auto stopped = unirep::train("tensors", options,
                                     [](const unirep::TrainingProgress& p) {
                                       return !(p.event == unirep::TrainingProgress::Event::kStep && p.step == 2);
                                     },
                                     {1});
  EXPECT_TRUE(stopped.stopped);
  EXPECT_EQ(stopped.steps, 2);
  bool resumed = false;
  const auto finished = unirep::train("tensors", options,
                                      [&](const unirep::TrainingProgress& p) {
                                        resumed = resumed || p.event == unirep::TrainingProgress::Event::kResumed;
                                        return true;
                                      },
                                      {1});
  EXPECT_TRUE(resumed);
  EXPECT_FALSE(finished.stopped);
  EXPECT_EQ(finished.steps, 6);
}

TEST(TrainingApi, BadOptionsAreInvalidArgumentsNamingTheKey) {
  unirep::testing::TempDir d;
  auto options = tiny_tensor_task(d);
  auto message = [&](std::map<std::string, std::string> o) {
    const auto e = error_of([&] { unirep::train("tensors", o); });
    EXPECT_EQ(e.code(), unirep::StatusCode::kInvalidArgument) << e.what();
    return std::string(e.what());
  };
  auto with = [&](const std::string& k, const std::string& v) {
    auto o = options;
    o[k] = v;
    return o;
  };
  EXPECT_NE(message(with("epochs", "0")).find("'epochs'"), std::string::npos);
  EXPECT_NE(message(with("lr", "nan")).find("'lr'"), std::string::npos);
  EXPECT_NE(message(with("mixup", "0.5")).find("mixup"), std::string::npos);  // an audio option, not a tensors one
  auto missing = options;
  missing.erase("labels");
  EXPECT_NE(message(missing).find("'labels' is required"), std::string::npos);
  EXPECT_NE(error_of([&] { unirep::train_json("tensors", "{\"epochs\": ", {}); }).what(), std::string());
  EXPECT_FALSE(unirep::testing::file_exists(d.file("run/best_deploy.safetensors")));
}

TEST(TrainingApi, TheCApiTrainsFromJsonAndCanStop) {
  unirep::testing::TempDir d;
  const auto o = tiny_tensor_task(d);
  std::string json = "{";
  for (const auto& [k, v] : o) json += (json.size() > 1 ? ", " : "") + std::string("\"") + k + "\": \"" + v + "\"";
  json += "}";
  unirep_options runtime = {};
  runtime.threads = 1;
  unirep_training_result* result = nullptr;
  auto stop_at_first_step = [](const unirep_training_progress* p, void*) {
    return p->event == UNIREP_TRAINING_STEP ? 0 : 1;
  };
  ASSERT_EQ(unirep_train("tensors", json.c_str(), &runtime, stop_at_first_step, nullptr, &result), UNIREP_OK)
      << unirep_last_error();
  EXPECT_NE(std::string(unirep_training_result_json(result)).find("\"stopped\":true"), std::string::npos)
      << unirep_training_result_json(result);
  unirep_training_result_free(result);
  ASSERT_EQ(unirep_train("tensors", json.c_str(), &runtime, nullptr, nullptr, &result), UNIREP_OK)
      << unirep_last_error();
  EXPECT_EQ(std::string(unirep_training_result_model_file(result)), d.file("run/best_deploy.safetensors"));
  unirep_training_result_free(result);
  EXPECT_EQ(unirep_train("tensors", "{\"epochs\": -1}", &runtime, nullptr, nullptr, &result),
            UNIREP_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(result, nullptr);
  EXPECT_NE(std::string(unirep_last_error()).find("epochs"), std::string::npos);
}
