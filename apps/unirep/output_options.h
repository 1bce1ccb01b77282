#pragma once
// Options that name outputs, checked before a command does any work (docs/cli.md, "Outputs"):
// "-" is standard output where the output is one stream and refused where it is not; an output
// that is the same file as an input (same device and inode, through links) or as another output is
// refused naming both; and when an output is "-", the command's own messages go to standard error
// so they do not mix with the data.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace unirep::cli {

struct OutputSpec {
  // Whether "-" (standard output) is allowed: one stream of a format that does not depend on the
  // file name.
  bool standard_output = true;
  // The files the option's value stands for (a prefix's stage files, a folder's checkpoint files);
  // empty: the value itself.
  std::function<std::vector<std::string>(const std::string&)> files;
  // Set for a folder: what "-" would mean is said in the refusal.
  bool folder = false;
};

// Marks `option` as naming an output; returns it for chaining.
CLI::Option* output_option(CLI::Option* option, OutputSpec spec = {});

// For the parsed `command` (and its parsed subcommands): the checks above. Throws
// std::invalid_argument naming the options.
void check_outputs(const CLI::App& command);

// The files a training run writes into its output folder (checkpoint.pth, best_deploy.safetensors,
// metrics.jsonl).
std::vector<std::string> training_folder_files(const std::string& dir);

// The stage files an output prefix stands for: PREFIX.stage0.npy .. PREFIX.stage3.npy (a trailing
// .npy on the prefix is dropped).
std::vector<std::string> stage_files(const std::string& prefix);

}  // namespace unirep::cli
