// unirep preprocess audio|image|video|points FILE --output-npy OUT.npy: what a model's input is, as
// a tensor (the backbone input or raw fbank of an audio file; the 3 x S x S input of an image after
// the official evaluation transform; the 3 x 4S x 4S validation view of a video; the sampled,
// normalized points of a cloud). Each task's recipe (sdk/tasks) makes it; its flags come from the
// recipe's table of preprocessing options.
#include "commands.h"
#include "input_options.h"
#include "output_options.h"
#include "task_flags.h"

#include "models/io/npy.h"
#include "sdk/tasks/task_registry.h"

#include <cstdio>

namespace unirep::cli {
namespace {

// The tasks with a per-file input, with their preprocessing options.
TaskOptionLists preprocess_flags() {
  TaskOptionLists lists;
  for (const auto* r : sdk::task_recipes())
    if (auto options = r->preprocess_options(); !options.empty()) lists.emplace_back(r->name(), std::move(options));
  return lists;
}

}  // namespace

Command add_preprocess(CLI::App& app) {
  struct Args {
    std::string task = "audio", input, output;
    std::unique_ptr<TaskFlags> flags;
  };
  auto a = std::make_shared<Args>();
  const auto lists = preprocess_flags();
  std::vector<std::string> tasks;
  for (const auto& [task, options] : lists) tasks.push_back(task);
  app.add_option("modality", a->task, "What to preprocess: " + CLI::detail::join(tasks, " | "))
      ->required()
      ->check(CLI::IsMember(tasks));
  app.add_option("file", a->input,
                 "Input file (audio: any format and rate; image: JPEG, PNG, BMP, WebP, TIFF, ...; video: any container "
                 "FFmpeg reads; points: OFF, PLY, OBJ, PCD, XYZ/TXT/CSV)")
      ->required()
      ->check(existing_input(/*standard_input=*/true));
  a->flags = std::make_unique<TaskFlags>(app, lists);
  output_option(app.add_option("--output-npy,-o", a->output, "Output .npy (- for standard output)")->required());
  return [a]() {
    const auto& recipe = sdk::find_task_recipe(a->task);
    sdk::Settings settings(recipe.preprocess_options());
    a->flags->fill(a->task, settings, "preprocess " + a->task);
    const auto input = a->flags->in_flag_words_of([&] { return recipe.preprocess(a->input, settings); });
    io::write_npy(a->output, input.tensor);
    std::printf("%s: %s written to %s\n", a->input.c_str(), input.summary.c_str(), a->output.c_str());
    return 0;
  };
}

}  // namespace unirep::cli
