// unirep::train: the public training entry point over the SDK's task registry (docs/api.md,
// "Training"). The registry's recipes do the work; this file checks, translates and reports.
#include <unirep/api/training.h>

#include "api_support.h"

#include "sdk/tasks/task_registry.h"
#include "sdk/threads.h"

namespace unirep {
namespace {

using sdk::OptionType;

const char* type_name(OptionType t) {
  switch (t) {
    case OptionType::Integer:
      return "integer";
    case OptionType::Number:
      return "number";
    case OptionType::Flag:
      return "flag";
    case OptionType::Text:
      return "text";
    case OptionType::File:
      return "file";
    case OptionType::Folder:
      return "folder";
  }
  return "text";
}

TrainingProgress::Event public_event(sdk::TrainProgress::Event e) {
  using E = sdk::TrainProgress::Event;
  switch (e) {
    case E::Step:
      return TrainingProgress::Event::kStep;
    case E::EpochEnd:
      return TrainingProgress::Event::kEpochEnd;
    case E::Resumed:
      return TrainingProgress::Event::kResumed;
    case E::Stopped:
      return TrainingProgress::Event::kStopped;
    case E::Note:
      return TrainingProgress::Event::kNote;
  }
  return TrainingProgress::Event::kNote;
}

sdk::TrainingCallbacks callbacks_for(const TrainingCallback& progress) {
  sdk::TrainingCallbacks cb;
  if (!progress) return cb;
  cb.progress = [progress](const sdk::TrainProgress& p) {
    TrainingProgress out;
    out.event = public_event(p.event);
    out.epoch = p.epoch, out.epochs = p.epochs, out.batch = p.batch, out.batches = p.batches, out.step = p.step;
    out.loss = p.loss, out.lr = p.lr, out.samples_per_second = p.samples_per_second;
    out.metrics = p.metrics;
    out.message = p.message;
    return progress(out);
  };
  cb.note = [progress](const std::string& line) {
    TrainingProgress out;
    out.event = TrainingProgress::Event::kNote;
    out.message = line;
    progress(out);
  };
  cb.test_progress = [progress](int64_t done, int64_t total) {
    TrainingProgress out;
    out.event = TrainingProgress::Event::kTesting;
    out.batch = done, out.batches = total;
    progress(out);
  };
  return cb;
}

TrainingResult run(const std::string& task, const sdk::Settings& settings, const TrainingCallback& progress,
                   const RuntimeOptions& runtime) {
  api_detail::check_options(runtime);
  if (runtime.precision == "bf16")
    throw Error(StatusCode::kInvalidArgument,
                "RuntimeOptions::precision is for inference; training takes the option \"precision\" (bf16)");
  api_detail::CallThreads threads(runtime.threads);
  const auto& recipe = sdk::find_task_recipe(task);
  sdk::TrainingRun r;
  try {
    r = recipe.train(settings, callbacks_for(progress));
  } catch (const sdk::NonFiniteTraining& e) {
    throw Error(StatusCode::kInvalidArgument, e.what());
  }
  TrainingResult out;
  out.epochs_completed = r.result.epochs_completed;
  out.steps = r.result.steps;
  out.stopped = r.result.interrupted;
  out.early_stopped = r.result.early_stopped;
  out.validation = r.result.last_eval;
  out.test = r.test;
  out.model_file = r.model_file;
  return out;
}

sdk::Settings settings_for(const std::string& task) {
  return sdk::Settings(sdk::find_task_recipe(task).training_options());
}

}  // namespace

std::vector<std::string> training_tasks() {
  return api_detail::guarded([] { return sdk::task_names(); });
}

std::vector<TrainingOption> training_options(const std::string& task) {
  return api_detail::guarded([&] {
    std::vector<TrainingOption> out;
    for (const auto& o : sdk::find_task_recipe(task).training_options())
      out.push_back({o.key, type_name(o.type), o.default_value, o.help, o.required});
    return out;
  });
}

TrainingResult train(const std::string& task, const std::map<std::string, std::string>& options,
                     const TrainingCallback& progress, const RuntimeOptions& runtime) {
  return api_detail::guarded([&] {
    auto settings = settings_for(task);
    for (const auto& [key, value] : options) settings.set(key, value, "train " + task);
    return run(task, settings, progress, runtime);
  });
}

TrainingResult train_json(const std::string& task, const std::string& options_json, const TrainingCallback& progress,
                          const RuntimeOptions& runtime) {
  return api_detail::guarded([&] {
    auto settings = settings_for(task);
    settings.set_json(options_json, "train " + task);
    return run(task, settings, progress, runtime);
  });
}

}  // namespace unirep
