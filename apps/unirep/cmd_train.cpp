// unirep train / unirep evaluate: the SDK's tasks from the command line (docs/cli.md, "Tasks").
//
//   unirep train tensors --model a --inputs X.npy --labels y.npy --output-dir run/ [--config train.json]
//   unirep train audio --model s --data speech_commands/ --output-dir run/
//   unirep train video --model small.json --data motions/ --output-dir run/ --size 32
//   unirep train image --model a --weights unireplknet_a_in1k_224_acc77.03.pth --data images/ --output-dir run/
//   unirep evaluate tensors --model a --weights run/best_deploy.safetensors --inputs X.npy --labels y.npy
//   unirep evaluate audio --model-file run/best_deploy.safetensors --data speech_commands/ --split test
//
// The flags come from the task registry (sdk/tasks); this file parses, prints and draws progress.
#include "classifier_evaluation.h"
#include "commands.h"
#include "input_options.h"
#include "output_options.h"
#include "progress_bar.h"
#include "task_flags.h"
#include "training_progress.h"
#include "worker_launcher.h"

#include "sdk/distributed/process_group.h"
#include "sdk/tasks/task_registry.h"
#include "sdk/threads.h"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace unirep::cli {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string task_list() {
  return CLI::detail::join(sdk::task_names(), " | ");
}

void print_note(const std::string& line) {
  std::fprintf(stderr, "%s\n", line.c_str());
}

// A bar over the examples a task scores ("evaluate 120/400 ...").
sdk::CountCallback evaluation_bar(std::shared_ptr<std::unique_ptr<ProgressBar>> bar) {
  return [bar](int64_t done, int64_t total) {
    if (!*bar) *bar = std::make_unique<ProgressBar>("evaluate", total, "example");
    (*bar)->update(done);
    if (done == total) (*bar)->finish();
  };
}

void print_training(const sdk::TrainingRun& run) {
  const auto& r = run.result;
  std::printf("trained %lld steps over %lld epochs (%.1f samples/s per process)%s%s\n", (long long)r.steps,
              (long long)r.epochs_completed, r.samples_per_second, r.interrupted ? ", interrupted" : "",
              r.early_stopped ? ", stopped early" : "");
  for (const auto& [k, v] : r.last_eval) std::printf("%s %.6g\n", k.c_str(), v);
  for (const auto& [k, v] : run.test) std::printf("%s %.6g\n", k.c_str(), v);
}

TaskOptionLists training_flags() {
  TaskOptionLists lists;
  for (const auto* r : sdk::task_recipes()) lists.emplace_back(r->name(), r->training_options());
  return lists;
}

TaskOptionLists evaluation_flags() {
  TaskOptionLists lists;
  for (const auto* r : sdk::task_recipes()) lists.emplace_back(r->name(), r->evaluation_options());
  return lists;
}

}  // namespace

Command add_train(CLI::App& app) {
  struct Args {
    std::string task = "tensors", config;
    int threads = 0, nproc = 1, timeout_s = 300;
    bool sync_bn = false;
    std::unique_ptr<TaskFlags> flags;
  };
  auto a = std::make_shared<Args>();
  app.add_option("task", a->task, "Task: " + task_list())->check(CLI::IsMember(sdk::task_names()));
  a->flags = std::make_unique<TaskFlags>(app, training_flags());
  output_option(a->flags->flag("output_dir"), {false, training_folder_files, /*folder=*/true});
  output_option(a->flags->flag("out"));  // the forecaster's model file
  app.add_option("--config", a->config,
                 "Options as one JSON object, keys as the flags with _ for - (flags given too win)")
      ->check(existing_input());
  app.add_option("--threads,-t", a->threads, "CPU threads (default: all cores)")->check(CLI::NonNegativeNumber);
  app.add_option("--nproc", a->nproc, "Launch this many local worker processes (data parallel)")
      ->check(CLI::Range(1, 256));
  app.add_option("--timeout", a->timeout_s, "Seconds to wait for peers before failing (distributed)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--sync-bn", a->sync_bn, "Synchronize BatchNorm statistics across processes (distributed)");
  return [a]() {
    if (a->nproc > 1 && !is_worker()) return launch_local_workers(a->nproc);
    sdk::configure_threads(a->threads);
    const auto& recipe = sdk::find_task_recipe(a->task);
    sdk::Settings settings(recipe.training_options());
    if (!a->config.empty()) settings.set_json(read_text(a->config), a->config);
    a->flags->fill(a->task, settings, "train " + a->task);

    std::unique_ptr<sdk::ProcessGroup> group;
    if (is_worker() || sdk::world_size_from_env() > 1)
      group = sdk::ProcessGroup::from_env(std::chrono::seconds(a->timeout_s));
    const bool rank0 = !group || group->rank() == 0;
    auto bar = std::make_shared<std::unique_ptr<ProgressBar>>();
    sdk::TrainingCallbacks callbacks;
    callbacks.progress = training_progress_printer();
    callbacks.note = rank0 ? print_note : sdk::NoteCallback{};
    callbacks.test_progress = evaluation_bar(bar);
    callbacks.communicator = group.get();
    callbacks.sync_batchnorm = a->sync_bn;
    sdk::Trainer::install_interrupt_handler();
    const auto run = a->flags->in_flag_words_of([&] { return recipe.train(settings, callbacks); });
    if (rank0) print_training(run);
    return run.result.interrupted ? 130 : 0;
  };
}

Command add_evaluate(CLI::App& app) {
  struct Args {
    std::string task = "tensors", report;
    int threads = 0;
    std::unique_ptr<TaskFlags> flags;
  };
  auto a = std::make_shared<Args>();
  app.add_option("task", a->task, "Task: " + task_list())->check(CLI::IsMember(sdk::task_names()));
  a->flags = std::make_unique<TaskFlags>(app, evaluation_flags());
  app.add_option("--threads,-t", a->threads, "CPU threads (default: all cores)")->check(CLI::NonNegativeNumber);
  output_option(app.add_option(
      "--report", a->report,
      "Classifiers: write per-class accuracy, the confusion matrix (and, audio, per-speaker accuracy) as JSON"));
  return [a]() {
    sdk::configure_threads(a->threads);
    const auto& recipe = sdk::find_task_recipe(a->task);
    sdk::Settings settings(recipe.evaluation_options());
    a->flags->fill(a->task, settings, "evaluate " + a->task);
    ReportFile report_file(a->report);  // opened first: a path that cannot be written fails at once
    auto bar = std::make_shared<std::unique_ptr<ProgressBar>>();
    const auto evaluation = a->flags->in_flag_words_of([&] { return recipe.evaluate(settings, evaluation_bar(bar)); });
    if (report_file.wanted()) {
      if (!evaluation.report)
        throw std::invalid_argument("--report: evaluate " + a->task + " of this model gives no per-class report");
      report_file.write(*evaluation.report);
    }
    print_classifier_evaluation(evaluation);
    return 0;
  };
}

}  // namespace unirep::cli
