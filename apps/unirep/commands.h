#pragma once
// The unirep subcommands. Each registers its options on the CLI11 app and returns the function
// that runs it; main() dispatches and turns exceptions into a one-line error and exit code 1.
#include <CLI/CLI.hpp>

#include <functional>
#include <map>

namespace unirep::cli {

using Command = std::function<int()>;

Command add_info(CLI::App& app);
Command add_infer(CLI::App& app);
Command add_reparam(CLI::App& app);
Command add_demo(CLI::App& app);
Command add_train(CLI::App& app);
Command add_evaluate(CLI::App& app);
Command add_bench(CLI::App& app);
Command add_preprocess(CLI::App& app);
Command add_classify_audio(CLI::App& app);
Command add_listen(CLI::App& app);
Command add_data(CLI::App& app);
Command add_forecast(CLI::App& app);
Command add_classify_points(CLI::App& app);
Command add_classify_image(CLI::App& app);
Command add_classify_video(CLI::App& app);
Command add_features(CLI::App& app);

// Every subcommand above added to `app` (numeric options made strict), with the function that runs it.
std::map<CLI::App*, Command> add_commands(CLI::App& app);

}  // namespace unirep::cli
