#include "commands.h"
#include "strict_numbers.h"

namespace unirep::cli {

std::map<CLI::App*, Command> add_commands(CLI::App& app) {
  std::map<CLI::App*, Command> commands;
  auto add = [&](const char* name, const char* help, Command (*make)(CLI::App&)) {
    auto* sub = app.add_subcommand(name, help);
    commands[sub] = make(*sub);
  };
  add("info", "Print parameters and FLOPs of a model in train and deploy structure", add_info);
  add("infer", "Run a backbone on a .npy input and write the output as .npy", add_infer);
  add("reparam", "Fuse a train-structure checkpoint into the deploy structure", add_reparam);
  add("demo", "Build a model, reparameterize it, and compare both structures", add_demo);
  add("train", "Train or fine-tune a task (one process or data parallel)", add_train);
  add("evaluate", "Evaluate weights on a labelled dataset", add_evaluate);
  add("bench", "Measure inference speed of both structures", add_bench);
  add("preprocess", "Turn a file into the backbone input (.npy)", add_preprocess);
  add("classify-audio", "Classify audio files with a trained model (labels, scores, timeline)", add_classify_audio);
  add("listen", "Spot keywords in a stream: a file, standard input or the microphone", add_listen);
  add("features", "Write the four stage maps of an image (dense-task features, strides 4..32)", add_features);
  add("classify-image", "Classify images with an ImageNet checkpoint or a fine-tuned image model", add_classify_image);
  add("classify-video", "Classify videos with a trained video model (1 or 15 views)", add_classify_video);
  add("classify-points", "Classify point clouds and meshes with a trained point model", add_classify_points);
  add("forecast", "Forecast time series from CSV (train, eval, predict)", add_forecast);
  add("data",
      "Make data sets (keywords: synthesized speech commands; shapes: 3-D point clouds; fashion-mnist: image folders; "
      "motions: "
      "video clips)",
      add_data);
  make_numbers_strict(app);
  return commands;
}

}  // namespace unirep::cli
