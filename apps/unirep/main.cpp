// unirep: UniRepLKNet from the command line.
//
//   unirep info    --model a                     parameters and FLOPs of both structures
//   unirep infer   --model a --weights W --input-npy X.npy --output-npy Y.npy
//   unirep reparam --model a --weights TRAIN.pth --output DEPLOY.safetensors
//   unirep demo                                  fuse a model and compare both structures
//   unirep bench   --model s --size 224 --batch 8   inference speed of both structures
//   unirep train tensors --model a --inputs X.npy --labels y.npy --output-dir run/
//   unirep evaluate tensors --model a --weights W --inputs X.npy --labels y.npy
//   unirep train audio --model a --data keywords/ --output-dir run/
//   unirep classify-audio clip.wav --model-file run/best_deploy.safetensors
//   unirep preprocess audio clip.wav --output-npy input.npy [--raw-fbank]
//   unirep data keywords --out keywords/
//
// Exit status: 0 on success, 1 with a one-line reason on stderr for any error, 2 for bad usage.
#include "commands.h"

#include <c10/util/Exception.h>

#include <iostream>
#include <map>

int main(int argc, char** argv) {
  CLI::App app{"unirep: UniRepLKNet inference, reparameterization and tools"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("unirep 0.1.0"));
  std::map<CLI::App*, unirep::cli::Command> commands;
  auto add = [&](const char* name, const char* help, unirep::cli::Command (*make)(CLI::App&)) {
    auto* sub = app.add_subcommand(name, help);
    commands[sub] = make(*sub);
  };
  add("info", "Print parameters and FLOPs of a model in train and deploy structure", unirep::cli::add_info);
  add("infer", "Run a backbone on a .npy input and write the output as .npy", unirep::cli::add_infer);
  add("reparam", "Fuse a train-structure checkpoint into the deploy structure", unirep::cli::add_reparam);
  add("demo", "Build a model, reparameterize it, and compare both structures", unirep::cli::add_demo);
  add("train", "Train or fine-tune a task (one process or data parallel)", unirep::cli::add_train);
  add("evaluate", "Evaluate weights on a labelled dataset", unirep::cli::add_evaluate);
  add("bench", "Measure inference speed of both structures", unirep::cli::add_bench);
  add("preprocess", "Turn a file into the backbone input (.npy)", unirep::cli::add_preprocess);
  add("classify-audio", "Classify audio files with a trained model (labels, scores, timeline)", unirep::cli::add_classify_audio);
  add("features", "Write the four stage maps of an image (dense-task features, strides 4..32)", unirep::cli::add_features);
  add("classify-image", "Classify images with an ImageNet checkpoint or a fine-tuned image model", unirep::cli::add_classify_image);
  add("classify-video", "Classify videos with a trained video model (1 or 15 views)", unirep::cli::add_classify_video);
  add("classify-points", "Classify point clouds and meshes with a trained point model", unirep::cli::add_classify_points);
  add("forecast", "Forecast time series from CSV (train, eval, predict)", unirep::cli::add_forecast);
  add("data", "Make data sets (keywords: synthesized speech commands; shapes: 3-D point clouds; fashion-mnist: image folders; motions: video clips)", unirep::cli::add_data);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    for (auto* sub : app.get_subcommands()) return commands.at(sub)();
  } catch (const c10::Error& e) {
    // LibTorch's own errors: the message without the C++ backtrace.
    std::cerr << "unirep: error: " << e.what_without_backtrace() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "unirep: error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
