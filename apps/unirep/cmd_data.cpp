// unirep data keywords --out DIR: the synthesized Speech Commands-style keyword dataset.
#include "commands.h"

#include <unirep/sdk/data/keyword_dataset.h>
#include <unirep/sdk/progress.h>

#include <cstdio>

namespace unirep::cli {

Command add_data(CLI::App& app) {
  auto* keywords = app.add_subcommand("keywords", "Synthesize the ten Speech Commands core words (espeak-ng, flite)");
  app.require_subcommand(1);
  auto o = std::make_shared<sdk::data::KeywordDataOptions>();
  keywords->add_option("--out,-o", o->out_dir, "Output folder (Speech Commands layout with split lists)")->required();
  keywords->add_option("--clips", o->clips_per_word_per_voice, "Clips per word and voice (default 6)")->check(CLI::PositiveNumber);
  keywords->add_option("--speed-perturbation", o->speed_perturbation,
                       "Training clips: random speed x0.8..x1.25 for 0.25 (pitch and formants move too); 0 = off")
      ->check(CLI::Range(0.0, 1.0));
  keywords->add_option("--seed", o->seed, "Seed (the data set is deterministic for a seed)");
  keywords->add_option("--threads,-t", o->threads, "Synthesizer processes at once (default: all cores)");
  return [o]() {
    std::unique_ptr<sdk::Progress> bar;
    auto summary = sdk::data::generate_keyword_dataset(*o, [&](size_t done, size_t total) {
      if (!bar) bar = std::make_unique<sdk::Progress>("keywords", static_cast<int64_t>(total), "clip");
      bar->update(static_cast<int64_t>(done));
    });
    if (bar) bar->finish();
    for (const auto& s : summary.missing_synthesizers) std::fprintf(stderr, "note: %s is not installed; its voices are missing\n", s.c_str());
    std::printf("%s: %zu train, %zu validation, %zu test clips\n", o->out_dir.c_str(), summary.train, summary.validation, summary.test);
    return 0;
  };
}

}  // namespace unirep::cli
