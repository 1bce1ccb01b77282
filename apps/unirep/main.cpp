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
// Exit status: 0 on success, 1 with a one-line reason on stderr for any error, 2 for bad usage,
// 128 + N when stopped by signal N (docs/cli.md).
#include "commands.h"
#include "error_line.h"
#include "output_options.h"

#include "models/io/signal_cleanup.h"
#include "models/io/text_escape.h"
#include "models/backbone/state_dict.h"
#include "sdk/train/trainer.h"

#include <c10/util/Exception.h>

#include <iostream>
#include <map>
#include <new>

namespace {

int fail(const std::string& reason) {
  unirep::cli::print_error(reason);
  return 1;
}

// The first line of LibTorch's message, without its C++ backtrace or source location.
std::string torch_reason(const c10::Error& e) {
  std::string m = e.what_without_backtrace();
  return m.substr(0, m.find("\nException raised from"));
}

}  // namespace

int main(int argc, char** argv) {
  unirep::io::remove_outputs_on_signals();
  CLI::App app{"unirep: UniRepLKNet inference, reparameterization and tools"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("unirep 0.1.0"));
  const auto commands = unirep::cli::add_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // CLI11's message quotes what was given: kept to one escaped line (docs/cli.md, "Errors").
    std::cerr << unirep::io::one_line(e.what()) << "\nRun with --help for more information." << std::endl;
    return 2;
  }
  try {
    for (auto* sub : app.get_subcommands()) {
      unirep::cli::check_outputs(*sub);
      return commands.at(sub)();
    }
  } catch (const unirep::models::StateDictError& e) {
    // The key lists can run to hundreds of lines: they come first, the reason stays one line.
    const auto& r = e.report();
    std::cerr << r.describe() << "\n";
    const std::string what = e.what();
    return fail(what.substr(0, what.find('\n')) + " " + std::to_string(r.missing.size()) + " missing, " +
                std::to_string(r.unexpected.size()) + " unexpected, " + std::to_string(r.mismatched.size()) +
                " shape-mismatched keys (listed above)");
  } catch (const unirep::sdk::ResumeError& e) {
    return fail("cannot resume from " + e.checkpoint() + ": " + e.reason() +
                ". It was written for another model or by an older unirep: delete it, or start over with --no-resume.");
  } catch (const c10::Error& e) {
    return fail(torch_reason(e));
  } catch (const std::bad_alloc&) {
    return fail("out of memory: an input or option asks for more memory than this machine can give");
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return 0;
}
