// unirep data keywords|shapes|fashion-mnist|motions --out DIR: the data sets the demo and the accuracy
// checks use (synthesized keywords, generated 3-D shapes, Debian's Fashion-MNIST as image folders,
// motion-classified video clips made with FFmpeg). Each subcommand and its flags come from the table
// of data set makers (apps/data_makers/data_set_makers.h), as train's come from the task registry.
#include "commands.h"
#include "output_options.h"
#include "progress_bar.h"
#include "task_flags.h"

#include "data_set_makers.h"

#include <cstdio>
#include <memory>
#include <vector>

namespace unirep::cli {
namespace {

struct DataCommand {
  const data_makers::DataSetMaker* maker;
  CLI::App* app;
  std::unique_ptr<TaskFlags> flags;
};

// Makes the data set with its progress(done, total) reports drawn as a bar, made on the first
// report (when the total is known); prints the maker's notes and summary.
int make_data_set(const DataCommand& c) {
  const auto& maker = *c.maker;
  sdk::Settings settings(maker.options);
  c.flags->fill(maker.name, settings, "data " + maker.name);
  std::unique_ptr<ProgressBar> bar;
  const auto report = c.flags->in_flag_words_of([&] {
    return maker.make(settings, [&](size_t done, size_t total) {
      if (!bar) bar = std::make_unique<ProgressBar>(maker.name, static_cast<int64_t>(total), maker.unit);
      bar->update(static_cast<int64_t>(done));
    });
  });
  if (bar) bar->finish();
  for (const auto& note : report.notes) std::fprintf(stderr, "note: %s\n", note.c_str());
  std::printf("%s\n", report.summary.c_str());
  return 0;
}

}  // namespace

Command add_data(CLI::App& app) {
  app.require_subcommand(1);
  auto commands = std::make_shared<std::vector<DataCommand>>();
  for (const auto& maker : data_makers::data_set_makers()) {
    auto* sub = app.add_subcommand(maker.name, maker.description + " (for `train " + maker.task + "`)");
    auto flags = std::make_unique<TaskFlags>(*sub, TaskOptionLists{{maker.name, maker.options}},
                                             ShortFlags{{"out", "o"}, {"threads", "t"}});
    output_option(flags->flag("out"), {false, {}, /*folder=*/true})->required();
    commands->push_back({&maker, sub, std::move(flags)});
  }
  return [commands]() {
    for (const auto& c : *commands)
      if (c.app->parsed()) return make_data_set(c);
    return 1;
  };
}

}  // namespace unirep::cli
