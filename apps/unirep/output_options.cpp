#include "output_options.h"

#include "models/io/atomic_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>

namespace unirep::cli {
namespace {

std::map<const CLI::Option*, OutputSpec>& registry() {
  static std::map<const CLI::Option*, OutputSpec> specs;
  return specs;
}

struct NamedFile {
  std::string option, path;
  dev_t dev;
  ino_t ino;
};

// The parsed options of `app` and of its parsed subcommands.
void collect_options(const CLI::App& app, std::vector<const CLI::Option*>& out) {
  for (const auto* o : app.get_options())
    if (o->count() > 0) out.push_back(o);
  for (const auto* sub : app.get_subcommands()) collect_options(*sub, out);
}

std::string option_name(const CLI::Option* o) {
  const auto& longs = o->get_lnames();
  if (!longs.empty()) return "--" + longs.front();
  const auto& shorts = o->get_snames();
  if (!shorts.empty()) return "-" + shorts.front();
  return o->get_name();  // a positional argument
}

bool identify(const std::string& path, dev_t& dev, ino_t& ino) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  dev = st.st_dev;
  ino = st.st_ino;
  return true;
}

// Every existing regular file named by an option that is not an output.
std::vector<NamedFile> input_files(const std::vector<const CLI::Option*>& options) {
  std::vector<NamedFile> inputs;
  for (const auto* o : options) {
    if (registry().count(o)) continue;
    for (const auto& value : o->results()) {
      NamedFile f{option_name(o), value, 0, 0};
      if (identify(value, f.dev, f.ino)) inputs.push_back(f);
    }
  }
  return inputs;
}

// Refuses the output files of `o` that are the same file as an input or an earlier output.
void check_not_inputs(const CLI::Option* o, const OutputSpec& spec, const std::vector<NamedFile>& inputs,
                      std::vector<NamedFile>& outputs) {
  for (const auto& value : o->results()) {
    const auto files = spec.files ? spec.files(value) : std::vector<std::string>{value};
    for (const auto& file : files) {
      NamedFile out{option_name(o), file, 0, 0};
      if (!identify(file, out.dev, out.ino)) continue;  // not there yet: nothing to lose
      const auto same = [&](const NamedFile& other) { return other.dev == out.dev && other.ino == out.ino; };
      for (const auto& in : inputs)
        if (same(in))
          throw std::invalid_argument(out.option + " " + file + " is the same file as " + in.option + " " + in.path +
                                      "; refusing to write over an input");
      for (const auto& earlier : outputs)
        if (same(earlier))
          throw std::invalid_argument(out.option + " " + file + " is the same file as " + earlier.option + " " +
                                      earlier.path + "; two outputs cannot share a file");
      outputs.push_back(out);
    }
  }
}

// The command's own printing goes to standard error; "-" writes to the real standard output.
void reserve_standard_output() {
  std::fflush(stdout);
  const int data_fd = dup(STDOUT_FILENO);
  if (data_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) throw std::runtime_error("cannot set up standard output");
  io::set_standard_output_fd(data_fd);
}

}  // namespace

CLI::Option* output_option(CLI::Option* option, OutputSpec spec) {
  registry()[option] = std::move(spec);
  return option;
}

std::vector<std::string> training_folder_files(const std::string& dir) {
  std::vector<std::string> files;
  for (const char* name : {"checkpoint.pth", "best_deploy.safetensors", "metrics.jsonl", "run_config.json"})
    files.push_back(dir + "/" + name);
  return files;
}

std::vector<std::string> stage_files(const std::string& prefix) {
  std::filesystem::path p(prefix);
  const std::string stem = p.extension() == ".npy" ? (p.parent_path() / p.stem()).string() : prefix;
  std::vector<std::string> files;
  for (int i = 0; i < 4; ++i) files.push_back(stem + ".stage" + std::to_string(i) + ".npy");
  return files;
}

void check_outputs(const CLI::App& command) {
  std::vector<const CLI::Option*> options;
  collect_options(command, options);
  const auto inputs = input_files(options);
  std::vector<NamedFile> outputs;
  bool to_standard_output = false;
  for (const auto* o : options) {
    const auto it = registry().find(o);
    if (it == registry().end()) continue;
    const auto& spec = it->second;
    for (const auto& value : o->results()) {
      if (value != "-") continue;
      if (spec.folder)
        throw std::invalid_argument(option_name(o) + " names a folder; '-' (standard output) cannot hold one");
      const auto files = spec.files ? spec.files(value) : std::vector<std::string>{value};
      if (!spec.standard_output || files != std::vector<std::string>{"-"})
        throw std::invalid_argument(
            option_name(o) +
            " cannot be '-' (standard output): this output is chosen by its file name or is several files");
      if (to_standard_output) throw std::invalid_argument("only one output can be '-' (standard output)");
      to_standard_output = true;
    }
    check_not_inputs(o, spec, inputs, outputs);
  }
  if (to_standard_output) reserve_standard_output();
}

}  // namespace unirep::cli
