// unirep train / unirep evaluate: the training engine from the command line.
//
//   unirep train tensors --model a --inputs X.npy --labels y.npy --output-dir run/ [--config train.json]
//   unirep train audio --model s --data speech_commands/ --output-dir run/
//   unirep train video --model small.json --data motions/ --output-dir run/ --size 32
//   unirep train image --model a --weights unireplknet_a_in1k_224_acc77.03.pth --data images/ --output-dir run/
//   unirep evaluate tensors --model a --weights run/best_deploy.safetensors --inputs X.npy --labels y.npy
//   unirep evaluate audio --model-file run/best_deploy.safetensors --data speech_commands/ --split test
//
// `tensors` is the task on raw .npy tensors (N x C x H x W inputs, int64 class labels or float
// N x K soft / multi-hot targets); `audio` classifies clips (audio_task_setup.cpp); the other
// modality tasks plug in the same way.
#include "input_options.h"
#include "audio_task_setup.h"
#include "image_task_setup.h"
#include "point_task_setup.h"
#include "video_task_setup.h"
#include "commands.h"
#include "model_options.h"
#include "output_options.h"

#include <unirep/io/format_error.h>
#include <unirep/io/npy.h>
#include <unirep/models/state_dict.h>
#include <unirep/sdk/distributed/launch.h>
#include <unirep/sdk/distributed/process_group.h>
#include <unirep/sdk/distributed/sync_batchnorm.h>
#include <unirep/sdk/threads.h>
#include <unirep/sdk/train/trainer.h>

#include <ATen/ATen.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace unirep::cli {
namespace {

std::shared_ptr<sdk::train::TensorDataset> load_tensors(const std::string& inputs, const std::string& labels) {
  auto x = io::read_npy(inputs);
  auto y = io::read_npy(labels);
  if (x.dim() != 4) throw io::FormatError(inputs, "inputs must be N x C x H x W");
  if (!x.is_floating_point()) throw io::FormatError(inputs, "inputs must be float32 or float64");
  if (y.dim() < 1 || y.size(0) != x.size(0))
    throw io::FormatError(labels, "labels must have one row per input (" + std::to_string(x.size(0)) + ")");
  if (y.dim() == 1 && y.is_floating_point()) throw io::FormatError(labels, "class labels must be integers (int64)");
  // The data set refuses NaN inputs and negative labels naming these files (docs/training.md, Bad values).
  return std::make_shared<sdk::train::TensorDataset>(x.to(at::kFloat), y.dim() == 1 ? y.to(at::kLong) : y.to(at::kFloat),
                                                     sdk::train::TensorSources{inputs, labels});
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Command add_train(CLI::App& app) {
  struct Args {
    ModelOptions model;
    std::string task = "tensors", inputs, labels, val_inputs, val_labels, config, optimizer, loss;
    AudioTaskOptions audio;
    PointTaskOptions points;
    ImageTaskOptions image;
    VideoTaskOptions video;
    sdk::train::TrainOptions train;
    double drop_path = 0.0, weight_decay = -1, layer_decay = -1;
    int nproc = 1;
    bool no_resume = false;
    int timeout_s = 300;
  };
  auto a = std::make_shared<Args>();
  app.add_option("task", a->task, "Task: tensors | audio | image | video | points")
      ->check(CLI::IsMember({"tensors", "audio", "image", "video", "points"}));
  a->model.add_to(app, /*weights_required=*/false, /*model_required=*/false);
  app.add_option("--inputs", a->inputs, "tensors: training inputs .npy (N x C x H x W)")->check(existing_input());
  app.add_option("--labels", a->labels, "tensors: training labels .npy (int64 N, or float N x K)")->check(existing_input());
  a->audio.add_to(app);
  a->points.add_to(app);
  a->image.add_to(app);
  a->video.add_to(app);
  app.add_option("--val-inputs", a->val_inputs, "Validation inputs .npy")->check(existing_input());
  app.add_option("--val-labels", a->val_labels, "Validation labels .npy")->check(existing_input());
  app.add_option("--config", a->config, "Training options as JSON (flags given too win)")->check(existing_input());
  output_option(app.add_option("--output-dir,-o", a->train.output_dir, "Checkpoints, metrics.jsonl and best_deploy.safetensors")->required(),
                {false, training_folder_files, /*folder=*/true});
  app.add_option("--epochs", a->train.epochs, "Epochs")->check(CLI::PositiveNumber);
  app.add_option("--batch-size", a->train.batch_size, "Batch size per process")->check(CLI::PositiveNumber);
  app.add_option("--lr", a->train.lr, "Base learning rate")->check(CLI::PositiveNumber);
  app.add_option("--min-lr", a->train.min_lr, "Final learning rate of the cosine schedule")->check(CLI::NonNegativeNumber);
  app.add_option("--warmup-epochs", a->train.warmup_epochs, "Linear warm-up epochs")->check(CLI::NonNegativeNumber);
  app.add_option("--optimizer", a->optimizer, "adamw | adam | sgd");
  app.add_option("--weight-decay", a->weight_decay, "Weight decay (not applied to norms, biases, layer scale, GRN)")->check(CLI::NonNegativeNumber);
  app.add_option("--layer-decay", a->layer_decay, "Layer-wise learning-rate decay (1 = off)")->check(CLI::Range(0.0, 1.0));
  app.add_option("--clip-grad", a->train.clip_grad, "Max gradient norm (0 = off)")->check(CLI::NonNegativeNumber);
  app.add_option("--loss", a->loss, "ce | soft_ce | bce | mse | mae");
  app.add_option("--label-smoothing", a->train.label_smoothing, "Label smoothing for ce")->check(CLI::Range(0.0, 0.999));
  app.add_option("--drop-path", a->drop_path, "Drop path rate of the backbone")->check(CLI::Range(0.0, 0.999));
  app.add_option("--ema", a->train.ema_decay, "EMA decay of the weights (0 = off)")->check(CLI::Range(0.0, 0.999999));
  app.add_flag("--bf16", a->train.bf16, "bfloat16 autocast on CPU");
  app.add_option("--trainable-stages", a->train.trainable_stages, "Freeze: -1 all, 0 head only, N head + last N stages")->check(CLI::Range(-1, 4));
  app.add_option("--patience", a->train.patience, "Early stopping patience in epochs (0 = off)")->check(CLI::NonNegativeNumber);
  app.add_option("--seed", a->train.seed, "Seed for data order and initialization");
  app.add_option("--workers", a->train.workers, "Data loader threads")->check(CLI::Range(0, 256));
  app.add_option("--max-steps", a->train.max_steps, "Stop after this many steps (smoke runs)")->check(CLI::NonNegativeNumber);
  app.add_flag("--no-resume", a->no_resume, "Start over even if output-dir has a checkpoint");
  app.add_option("--nproc", a->nproc, "Launch this many local worker processes (data parallel)")->check(CLI::Range(1, 256));
  app.add_option("--timeout", a->timeout_s, "Seconds to wait for peers before failing (distributed)")->check(CLI::PositiveNumber);
  app.add_flag("--sync-bn", "Synchronize BatchNorm statistics across processes (distributed)");
  return [a, &app]() {
    if (a->nproc > 1 && !sdk::distributed::is_worker()) return sdk::distributed::launch_local_workers(a->nproc);
    // Only video has a default layout (the reference's Kinetics model).
    if (a->model.spec.model.empty() && a->task != "video") throw std::invalid_argument("--model is required (a variant name or a JSON config)");
    a->model.finalize();
    auto& t = a->train;
    if (!a->config.empty()) {
      sdk::train::TrainOptions from_file;
      sdk::train::apply_options_json(from_file, read_text(a->config), a->config);
      // Flags given on the command line override the file.
      auto given = [&](const char* flag) { return app.count(flag) > 0; };
      if (!given("--epochs")) t.epochs = from_file.epochs;
      if (!given("--batch-size")) t.batch_size = from_file.batch_size;
      if (!given("--lr")) t.lr = from_file.lr;
      if (!given("--min-lr")) t.min_lr = from_file.min_lr;
      if (!given("--warmup-epochs")) t.warmup_epochs = from_file.warmup_epochs;
      if (!given("--clip-grad")) t.clip_grad = from_file.clip_grad;
      if (!given("--label-smoothing")) t.label_smoothing = from_file.label_smoothing;
      if (!given("--ema")) t.ema_decay = from_file.ema_decay;
      if (!given("--bf16")) t.bf16 = from_file.bf16;
      if (!given("--trainable-stages")) t.trainable_stages = from_file.trainable_stages;
      if (!given("--patience")) t.patience = from_file.patience;
      if (!given("--seed")) t.seed = from_file.seed;
      if (!given("--workers")) t.workers = from_file.workers;
      if (!given("--max-steps")) t.max_steps = from_file.max_steps;
      if (!given("--loss")) t.loss = from_file.loss;
      t.optimizer = from_file.optimizer;
      t.warmup_lr = from_file.warmup_lr;
      t.monitor = from_file.monitor;
      t.drop_last = from_file.drop_last;
    }
    if (!a->optimizer.empty()) t.optimizer.kind = sdk::train::parse_optimizer(a->optimizer);
    if (a->weight_decay >= 0) t.optimizer.weight_decay = a->weight_decay;
    if (a->layer_decay > 0) t.optimizer.layer_decay = a->layer_decay;
    if (!a->loss.empty()) t.loss = sdk::train::parse_loss(a->loss);
    t.resume = !a->no_resume;

    std::unique_ptr<sdk::train::Task> task_holder;
    std::shared_ptr<const sdk::train::Dataset> train_set, val_set, test_set;
    if (a->task == "points") {
      if (a->points.data.empty()) a->points.data = a->audio.data;  // --data serves both
      at::manual_seed(t.seed);
      auto built = build_point_training(a->points, a->model.spec.model, a->drop_path, t.seed);
      task_holder = std::move(built.task);
      train_set = built.train;
      // No validation split in these layouts: the model of the last epoch is exported, and scored
      // on the test split after training (never used to choose it).
      test_set = built.test;
    } else if (a->task == "video") {
      at::manual_seed(t.seed);
      auto built = build_video_training(a->video, a->image.size, a->image.scale_min, a->image.hflip, a->audio.data, !a->audio.no_augment,
                                        a->model.spec.model, a->model.spec.weights, a->drop_path, t.seed);
      task_holder = std::move(built.task);
      train_set = built.train;
      val_set = built.validation;
      test_set = built.test;
    } else if (a->task == "image") {
      at::manual_seed(t.seed);
      auto built = build_image_training(a->image, a->audio.data, !a->audio.no_augment, a->model.spec.model, a->model.spec.weights,
                                        a->drop_path, t.seed);
      task_holder = std::move(built.task);
      train_set = built.train;
      val_set = built.validation;
      test_set = built.test;
    } else if (a->task == "audio") {
      // Targets are probability vectors (mixup makes them soft); cross entropy takes them as they
      // are. Multi-label data train with BCE unless a loss was chosen.
      at::manual_seed(t.seed);
      auto built = build_audio_training(a->audio, a->model.spec.model, a->drop_path, t.seed);
      if (built.task->spec().multi_label && !app.count("--loss") && t.loss == sdk::train::LossKind::CrossEntropy)
        t.loss = sdk::train::LossKind::BCEWithLogits;
      if (!a->model.spec.weights.empty()) {
        auto w = sdk::read_weights(a->model.spec.weights);
        auto report = models::load_state_dict(built.task->model(), w, a->model.spec.strict);
        if (!report.clean()) std::fprintf(stderr, "note: initial weights: skipped keys\n%s\n", report.describe().c_str());
      }
      task_holder = std::move(built.task);
      train_set = built.train;
      val_set = built.validation;
      test_set = built.test;
    } else {
      if (a->inputs.empty() || a->labels.empty()) throw std::invalid_argument("train tensors needs --inputs and --labels");
    auto train = load_tensors(a->inputs, a->labels);
    std::shared_ptr<sdk::train::TensorDataset> val;
    if (!a->val_inputs.empty() != !a->val_labels.empty()) throw std::invalid_argument("--val-inputs and --val-labels go together");
    if (!a->val_inputs.empty()) val = load_tensors(a->val_inputs, a->val_labels);

    // The model: the named variant or config, sized to the data; optionally initialized from weights.
    auto config = models::resolve_config(a->model.spec.model);
    const auto x0 = train->get(0);
    config.in_chans = x0.input.size(0);
    int64_t max_label = -1;
    if (x0.target.dim() == 0)
      for (size_t i = 0; i < train->size(); ++i) max_label = std::max(max_label, train->get(i).target.item<int64_t>());
    if (a->model.spec.num_classes) config.num_classes = *a->model.spec.num_classes;
    else if (x0.target.dim() == 1) config.num_classes = x0.target.size(0);  // soft or multi-hot targets
    else if (models::is_variant_name(a->model.spec.model)) config.num_classes = max_label + 1;
    // (a JSON config keeps its own num_classes)
    train->require_classes(config.num_classes);
    if (val) val->require_classes(config.num_classes);
    // LibTorch seeds its default generator non-deterministically; the initialization follows --seed.
    at::manual_seed(t.seed);
    auto tensor_task = std::make_unique<sdk::train::BackboneClassifier>(models::UniRepLKNetOptions(config).drop_path_rate(a->drop_path));
    if (!a->model.spec.weights.empty()) {
      std::vector<std::string> notes;
      auto w = sdk::read_weights(a->model.spec.weights, &notes);
      auto report = models::load_state_dict(tensor_task->model(), w, a->model.spec.strict);
      if (!report.clean()) std::fprintf(stderr, "note: initial weights: skipped keys\n%s\n", report.describe().c_str());
    }
    task_holder = std::move(tensor_task);
    train_set = train;
    val_set = val;
    }
    auto& task = *task_holder;

    std::unique_ptr<sdk::distributed::ProcessGroup> group;
    if (sdk::distributed::is_worker() || sdk::distributed::world_size_from_env() > 1)
      group = sdk::distributed::ProcessGroup::from_env(std::chrono::seconds(a->timeout_s));
    if (group && app.count("--sync-bn")) sdk::distributed::convert_sync_batchnorm(task.model(), *group);
    sdk::train::Trainer::install_interrupt_handler();
    sdk::train::Trainer trainer(task, t, group.get());
    auto result = trainer.fit(train_set, val_set);
    if (!group || group->rank() == 0) {
      std::printf("trained %lld steps over %lld epochs (%.1f samples/s per process)%s%s\n", (long long)result.steps,
                  (long long)result.epochs_completed, result.samples_per_second, result.interrupted ? ", interrupted" : "",
                  result.early_stopped ? ", stopped early" : "");
      for (const auto& [k, v] : result.last_eval) std::printf("%s %.6g\n", k.c_str(), v);
      // The held-out test split, scored with the exported best model.
      const std::string best = t.output_dir + "/best_deploy.safetensors";
      if (a->task == "points" && test_set && !result.interrupted && std::filesystem::exists(best)) {
        for (const auto& [k, v] : evaluate_point_model(best, a->points.data, true).metrics) std::printf("test_%s %.6g\n", k.c_str(), v);
      }
      if (a->task == "video" && test_set && !result.interrupted && std::filesystem::exists(best)) {
        for (const auto& [k, v] : evaluate_video_model(best, a->audio.data, "test", 1).metrics) std::printf("test_%s %.6g\n", k.c_str(), v);
      }
      if (a->task == "image" && test_set && !result.interrupted && std::filesystem::exists(best)) {
        for (const auto& [k, v] : evaluate_image_model(best, a->audio.data, "test", t.batch_size).metrics) std::printf("test_%s %.6g\n", k.c_str(), v);
      }
      if (a->task == "audio" && test_set && !result.interrupted && std::filesystem::exists(best)) {
        const bool own = !a->audio.test_data.empty();
        AudioEvaluationOptions o;
        o.split = own ? "all" : "test";
        o.batch_size = t.batch_size;
        for (const auto& [k, v] : evaluate_audio_model(best, own ? a->audio.test_data : a->audio.data, o).metrics)
          std::printf("test_%s %.6g\n", k.c_str(), v);
      }
    }
    return result.interrupted ? 130 : 0;
  };
}

Command add_evaluate(CLI::App& app) {
  struct Args {
    ModelOptions model;
    std::string task = "tensors", inputs, labels, loss = "ce", model_file, data, split = "test";
    size_t batch_size = 32;
    bool all_rotations = false;
    int views = 1;
    bool by_speaker = false;
    std::string speaker_pattern, report;
  };
  auto a = std::make_shared<Args>();
  app.add_option("task", a->task, "Task: tensors | audio | image | video | points")
      ->check(CLI::IsMember({"tensors", "audio", "image", "video", "points"}));
  app.add_option("--model,-m", a->model.spec.model, "tensors: variant or JSON config");
  app.add_option("--weights,-w", a->model.spec.weights, "tensors: weights (.pth or .safetensors)")->check(existing_input());
  app.add_option("--threads,-t", a->model.threads, "CPU threads (default: all cores)")->check(CLI::NonNegativeNumber);
  app.add_option("--inputs", a->inputs, "tensors: inputs .npy")->check(existing_input());
  app.add_option("--labels", a->labels, "tensors: labels .npy")->check(existing_input());
  app.add_option("--loss", a->loss, "tensors: loss reported: ce | soft_ce | bce | mse | mae");
  app.add_option("--model-file", a->model_file, "audio, image, video, points: model file written by unirep train")->check(existing_input());
  app.add_flag("--all-rotations", a->all_rotations, "points: also score the average over the 8 test rotations");
  app.add_option("--views", a->views, "video: 1 (the validation clip) or 15 (5 temporal x 3 spatial, scores averaged)")
      ->check(CLI::IsMember({1, 15}));
  app.add_option("--data", a->data, "audio: a folder per class (Speech Commands layout) or a CSV of path,label; image: an image folder or CSV; points: a ModelNet-style folder or CSV");
  app.add_option("--split", a->split, "audio, image: test | validation | train | all (a CSV is always all)")
      ->check(CLI::IsMember({"test", "validation", "train", "all"}));
  app.add_option("--batch-size", a->batch_size, "Batch size")->check(CLI::PositiveNumber);
  app.add_flag("--by-speaker", a->by_speaker, "audio: accuracy per speaker (Speech Commands: the file name before _nohash_)");
  app.add_option("--speaker-pattern", a->speaker_pattern,
                 "audio: regex whose first capture group in the file name is the speaker (implies --by-speaker)");
  output_option(app.add_option("--report", a->report,
                 "audio, image, video, points: write per-class accuracy, the confusion matrix (and, audio, per-speaker accuracy) as JSON"));
  return [a]() {
    a->model.finalize();
    if (a->task != "audio" && (a->by_speaker || !a->speaker_pattern.empty()))
      throw std::invalid_argument("--by-speaker and --speaker-pattern are for evaluate audio, not " + a->task);
    if (a->task == "points") {
      if (a->model_file.empty() || a->data.empty()) throw std::invalid_argument("evaluate points needs --model-file and --data");
      print_classifier_evaluation(evaluate_point_model(a->model_file, a->data, a->all_rotations, a->report));
      return 0;
    }
    if (a->task == "video") {
      if (a->model_file.empty() || a->data.empty()) throw std::invalid_argument("evaluate video needs --model-file and --data");
      print_classifier_evaluation(evaluate_video_model(a->model_file, a->data, a->split, a->views, a->report));
      return 0;
    }
    if (a->task == "image") {
      if (a->model_file.empty() || a->data.empty()) throw std::invalid_argument("evaluate image needs --model-file and --data");
      print_classifier_evaluation(evaluate_image_model(a->model_file, a->data, a->split, a->batch_size, a->report));
      return 0;
    }
    if (a->task == "audio") {
      if (a->model_file.empty() || a->data.empty()) throw std::invalid_argument("evaluate audio needs --model-file and --data");
      AudioEvaluationOptions o;
      o.split = a->split;
      o.batch_size = a->batch_size;
      o.by_speaker = a->by_speaker;
      o.speaker_pattern = a->speaker_pattern;
      o.report_path = a->report;
      print_classifier_evaluation(evaluate_audio_model(a->model_file, a->data, o), "speaker");
      return 0;
    }
    if (a->model.spec.model.empty() || a->model.spec.weights.empty() || a->inputs.empty() || a->labels.empty())
      throw std::invalid_argument("evaluate tensors needs --model, --weights, --inputs and --labels");
    if (!a->report.empty()) throw std::invalid_argument("--report is for evaluate audio, image, video and points, not tensors");
    auto loaded = sdk::load_backbone(a->model.spec);
    auto data = load_tensors(a->inputs, a->labels);
    sdk::train::BackboneClassifier task(models::UniRepLKNetOptions(loaded.model->config()).deploy(loaded.model->deployed()));
    models::load_state_dict(task.model(), models::state_dict(*loaded.model));
    sdk::train::TrainOptions t;
    t.batch_size = a->batch_size;
    t.loss = sdk::train::parse_loss(a->loss);
    sdk::train::Trainer trainer(task, t);
    for (const auto& [k, v] : trainer.evaluate(*data)) std::printf("%s %.6g\n", k.c_str(), v);
    return 0;
  };
}

}  // namespace unirep::cli
