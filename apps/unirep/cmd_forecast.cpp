// unirep forecast train | eval | predict: the UniRepLKNet forecaster on a CSV time series, scored
// side by side with persistence, seasonal naive and a fitted linear model.
#include "commands.h"
#include "model_options.h"
#include "forecast_plot.h"
#include "input_options.h"
#include "output_options.h"
#include "training_progress.h"

#include "models/io/atomic_file.h"
#include "models/io/output_transaction.h"
#include "sdk/threads.h"
#include "sdk/timeseries/forecast_evaluation.h"
#include "sdk/timeseries/forecast_model.h"
#include "sdk/timeseries/forecast_predict.h"
#include "sdk/timeseries/forecast_training.h"
#include "sdk/train/trainer.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <sstream>

namespace unirep::cli {
namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// One fraction of --split: a number in [0, 1].
double split_fraction(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !(v >= 0 && v <= 1))
    throw std::invalid_argument("--split: '" + text.substr(0, 40) + "' is not a fraction from 0 to 1");
  return v;
}

// --split TRAIN,VALIDATION into the two fractions, with errors naming the flag.
void parse_split(const std::string& text, sdk::ForecastTrainingOptions& o) {
  const auto fractions = split_list(text);
  if (fractions.size() != 2) throw std::invalid_argument("--split takes two fractions, e.g. 0.7,0.1");
  o.train_fraction = split_fraction(fractions[0]);
  o.validation_fraction = split_fraction(fractions[1]);
  if (o.train_fraction <= 0 || o.train_fraction + o.validation_fraction >= 1)
    throw std::invalid_argument("--split: the fractions must leave a test part (train > 0, train + validation < 1)");
}

void print_evaluation(const sdk::ForecastEvaluation& e, bool json) {
  if (json) {
    nlohmann::json j;
    j["model"] = {{"mse", e.model.mse}, {"mae", e.model.mae}};
    for (const auto& [name, err] : e.baselines) j["baselines"][name] = {{"mse", err.mse}, {"mae", err.mae}};
    j["test_windows"] = e.test_windows;
    j["season"] = e.season;
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("test windows %zu (original units)\n", e.test_windows);
  std::printf("%-28s %12s %12s\n", "", "MSE", "MAE");
  std::printf("%-28s %12.6g %12.6g\n", "UniRepLKNet forecaster", e.model.mse, e.model.mae);
  for (const auto& [name, err] : e.baselines) {
    std::string label = name == "seasonal_naive" ? "seasonal naive (" + std::to_string(e.season) + ")" : name;
    std::printf("%-28s %12.6g %12.6g\n", label.c_str(), err.mse, err.mae);
  }
}

struct CsvArgs {
  std::string csv, time_col, targets, covariates, series_id_col, value_col = "value", resample;
  void add_to(CLI::App& app, bool with_columns) {
    app.add_option("--csv", csv, "CSV file with a header")->required()->check(existing_input());
    if (!with_columns) return;
    app.add_option("--time-col", time_col, "Time column (default: the first)");
    app.add_option("--target", targets, "Target columns, comma-separated (default: every numeric column)");
    app.add_option("--covariates", covariates, "Extra input columns, comma-separated (not forecast)");
    app.add_option("--series-id-col", series_id_col, "Long format: the series id column (rows time,id,value)");
    app.add_option("--value-col", value_col, "Long format: the value column (default value)");
    app.add_option("--resample", resample,
                   "Resample onto a regular grid: 1h, 30min, 1d, ... (irregular spacing is an error otherwise)");
  }
  modalities::SeriesCsvOptions options() const {
    modalities::SeriesCsvOptions o;
    o.time_col = time_col;
    o.targets = split_list(targets);
    o.covariates = split_list(covariates);
    o.series_id_col = series_id_col;
    o.value_col = value_col;
    if (!resample.empty()) {
      o.resample_seconds = modalities::parse_frequency(resample);
      if (!o.resample_seconds) throw std::invalid_argument("--resample: cannot read the frequency '" + resample + "'");
    }
    return o;
  }
};

void report_table(const modalities::SeriesTable& t) {
  std::fprintf(stderr, "%s\n", sdk::series_table_summary(t).c_str());
}

Command add_forecast_train(CLI::App& app) {
  struct Args {
    CsvArgs csv;
    sdk::ForecastTrainingOptions forecast;
    sdk::TrainOptions train = sdk::forecast_training_defaults();
    std::string work_dir, split = "0.7,0.1";
    int threads = 0;
    bool no_time_features = false;
  };
  auto a = std::make_shared<Args>();
  auto& f = a->forecast;
  a->csv.add_to(app, true);
  app.add_option("--seq-len", f.seq_len, "Input steps per window (default 48)")->check(CLI::Range(2, 100000));
  app.add_option("--pred-len", f.pred_len, "Steps to forecast (default 24)")->check(CLI::Range(1, 100000));
  app.add_option("--stride", f.stride, "Step between training windows (default 1)")->check(CLI::PositiveNumber);
  app.add_option("--split", a->split,
                 "Train and validation fractions, chronological (default 0.7,0.1; test: the rest)");
  app.add_option("--season", f.season, "Season of the seasonal-naive baseline in steps (default: from the frequency)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--d-model", f.d_model, "Embedding width (default 16 x seq-len: a square map of side 4 x seq-len)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--model,-m", f.model, "Backbone variant (a..xl) or JSON layout (default: a small built-in layout)");
  output_option(app.add_option("--out,-o", f.out, "Model file to write (.safetensors)")->required());
  output_option(app.add_option("--work-dir", a->work_dir, "Checkpoints and metrics.jsonl (default: OUT.train)"),
                {false, training_folder_files, /*folder=*/true});
  app.add_option("--epochs", a->train.epochs, "Epochs (default 10)");
  app.add_option("--batch-size", a->train.batch_size, "Batch size (default 32)");
  app.add_option("--lr", a->train.lr, "Learning rate (default 3e-4, AdamW, cosine)");
  app.add_option("--weight-decay", a->train.optimizer.weight_decay, "Weight decay (default 0.05)");
  app.add_option("--patience", a->train.patience, "Early stopping on validation loss (default 3, 0 = off)");
  app.add_option("--drop-path", f.drop_path, "Drop path rate of the backbone")->check(CLI::Range(0.0, 0.999));
  app.add_option("--seed", a->train.seed, "Seed");
  app.add_flag("--no-time-features", a->no_time_features, "Do not embed calendar features");
  app.add_option("--threads,-t", a->threads, "CPU threads (default: all cores)");
  return [a]() {
    sdk::configure_threads(a->threads);
    const auto start = std::chrono::steady_clock::now();
    auto o = a->forecast;
    o.csv = a->csv.csv;
    o.columns = a->csv.options();
    o.time_features = !a->no_time_features;
    parse_split(a->split, o);
    auto t = a->train;
    t.output_dir = a->work_dir;  // empty: OUT.train
    sdk::Trainer::install_interrupt_handler();
    const auto note = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    const auto result = sdk::train_forecaster(o, t, note, training_progress_printer());
    if (result.run.interrupted) {
      std::fprintf(stderr, "interrupted; run the same command again to resume from %s\n", result.output_dir.c_str());
      return 130;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("trained %lld steps over %lld epochs in %.1f s%s; model: %s\n", (long long)result.run.steps,
                (long long)result.run.epochs_completed, seconds, result.run.early_stopped ? " (stopped early)" : "",
                result.model_file.c_str());
    print_evaluation(result.evaluation, false);
    return 0;
  };
}

Command add_forecast_eval(CLI::App& app) {
  struct Args {
    CsvArgs csv;
    std::string model;
    bool json = false;
    int threads = 0;
    sdk::InferenceSettings inference;
  };
  auto a = std::make_shared<Args>();
  a->csv.add_to(app, false);
  app.add_option("--model,-m", a->model, "Forecaster model file")->required()->check(existing_input());
  app.add_flag("--json", a->json, "Print one JSON object");
  app.add_option("--threads,-t", a->threads, "CPU threads (default: all cores)");
  add_precision_option(app, a->inference.precision);
  return [a]() {
    sdk::configure_threads(a->threads);
    auto loaded = sdk::load_forecaster(a->model, a->inference);
    const auto table = modalities::read_series_csv(a->csv.csv, loaded.spec.csv);
    if (!a->json) report_table(table);
    print_evaluation(sdk::evaluate_forecaster(loaded, table), a->json);
    return 0;
  };
}

Command add_forecast_predict(CLI::App& app) {
  struct Args {
    CsvArgs csv;
    std::string model, output, plot;
    bool backtest = false;
    int threads = 0;
    sdk::InferenceSettings inference;
  };
  auto a = std::make_shared<Args>();
  a->csv.add_to(app, false);
  app.add_option("--model,-m", a->model, "Forecaster model file")->required()->check(existing_input());
  output_option(app.add_option("--output,-o", a->output,
                               "Forecast CSV to write (time and one column per target; - for standard output)")
                    ->required());
  output_option(app.add_option("--plot", a->plot, "PNG of history and forecast"));
  app.add_flag("--backtest", a->backtest,
               "Forecast the file's last pred-len steps from the ones before, and plot the truth");
  app.add_option("--threads,-t", a->threads, "CPU threads (default: all cores)");
  add_precision_option(app, a->inference.precision);
  return [a]() {
    sdk::configure_threads(a->threads);
    auto loaded = sdk::load_forecaster(a->model, a->inference);
    const auto& spec = loaded.spec;
    const auto table = modalities::read_series_csv(a->csv.csv, spec.csv);
    const auto L = spec.seq_len, H = spec.pred_len, V = static_cast<int64_t>(spec.targets.size());
    const auto T = static_cast<int64_t>(table.length());
    if (a->backtest && T < H)
      throw std::invalid_argument(a->csv.csv + ": " + std::to_string(T) + " rows, fewer than the " + std::to_string(H) +
                                  " a back-test holds out");
    const int64_t end = a->backtest ? T - H : T;  // the window ends here; the forecast starts here
    const auto result = sdk::forecast_after(loaded, table, end);
    const auto& forecast = result.values;
    const auto& stamps = result.stamps;

    std::ostringstream csv;
    csv << table.time_column;
    for (const auto& name : spec.targets) csv << "," << name;
    csv << "\n";
    for (int64_t h = 0; h < H; ++h) {
      csv << stamps[static_cast<size_t>(h)];
      for (int64_t v = 0; v < V; ++v) csv << "," << forecast[h][v].item<float>();
      csv << "\n";
    }
    io::OutputTransaction outputs;  // the CSV and the plot appear together (docs/cli.md, Outputs)
    io::AtomicFile out(a->output);
    out.write(csv.str());
    out.commit();
    std::printf("%s: %lld steps from %s to %s%s\n", a->output.c_str(), (long long)H, stamps.front().c_str(),
                stamps.back().c_str(), a->backtest ? " (back-test)" : "");

    if (!a->plot.empty()) {
      std::vector<PlotSeries> series(static_cast<size_t>(V));
      const int64_t shown = std::min<int64_t>(end, std::max<int64_t>(L, 4 * H));
      for (int64_t v = 0; v < V; ++v) {
        auto& s = series[static_cast<size_t>(v)];
        s.name = spec.targets[static_cast<size_t>(v)];
        for (int64_t i = end - shown; i < end; ++i)
          s.history.push_back(table.at(static_cast<size_t>(i), static_cast<size_t>(v)));
        for (int64_t h = 0; h < H; ++h) s.forecast.push_back(forecast[h][v].item<float>());
        if (a->backtest)
          for (int64_t h = 0; h < H; ++h)
            s.truth.push_back(table.at(static_cast<size_t>(end + h), static_cast<size_t>(v)));
      }
      plot_forecast(
          a->plot, series, modalities::format_time(table.times[static_cast<size_t>(end - shown)], table.time_style),
          stamps.front(), stamps.back(),
          std::filesystem::path(a->csv.csv).filename().string() + (a->backtest ? ": back-test" : ": forecast"));
      std::printf("plot: %s\n", a->plot.c_str());
    }
    outputs.commit();
    return 0;
  };
}

}  // namespace

Command add_forecast(CLI::App& app) {
  app.require_subcommand(1);
  std::map<CLI::App*, Command> subs;
  auto* train = app.add_subcommand("train", "Train the forecaster on a CSV and score it against the baselines");
  subs[train] = add_forecast_train(*train);
  auto* eval = app.add_subcommand("eval", "Score a forecaster and the baselines on the test split of a CSV");
  subs[eval] = add_forecast_eval(*eval);
  auto* predict =
      app.add_subcommand("predict", "Forecast the steps after the end of a CSV (CSV out, optional PNG plot)");
  subs[predict] = add_forecast_predict(*predict);
  return [subs]() {
    for (const auto& [sub, run] : subs)
      if (sub->parsed()) return run();
    return 1;
  };
}

}  // namespace unirep::cli
