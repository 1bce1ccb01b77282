#include "sdk/timeseries/forecast_training.h"

#include "models/io/atomic_file.h"
#include "modalities/timeseries/windows.h"
#include "sdk/timeseries/forecast_data.h"
#include "sdk/timeseries/forecast_model.h"

#include <ATen/ATen.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

namespace unirep::sdk {
TrainOptions forecast_training_defaults() {
  TrainOptions t;
  t.epochs = 10;
  t.batch_size = 32;
  t.lr = 3e-4;  // from the least-squares start, a gentle rate keeps what the linear paths know
  t.min_lr = 1e-5;
  t.warmup_epochs = 1;
  t.patience = 3;
  t.loss = LossKind::MSE;
  t.drop_last = false;
  t.optimizer.weight_decay = 0.05;
  t.monitor = "loss";
  return t;
}

models::BackboneConfig default_forecast_backbone() {
  models::BackboneConfig c;
  c.depths = {1, 1, 3, 1};
  c.dims = {24, 48, 96, 192};
  c.kernel_sizes = {{3}, {13}, {13, 3, 13}, {13}};
  c.in_chans = 1;
  c.num_classes = 0;
  c.layer_scale_init_value = 0;  // no layer scale: learns far faster in short runs (docs/timeseries.md)
  return c;
}

std::string series_table_summary(const modalities::SeriesTable& t) {
  const std::string covariates =
      t.num_columns() > t.num_targets ? " + " + std::to_string(t.num_columns() - t.num_targets) + " covariates" : "";
  char step[32];
  std::snprintf(step, sizeof step, "%g", t.step);
  return t.source + ": " + std::to_string(t.length()) + " rows, " + std::to_string(t.num_targets) + " targets" +
         covariates + ", step " + step + " s" + (t.resampled ? " (resampled)" : "") + ", " +
         std::to_string(t.filled_missing) + " missing cells filled";
}

namespace {

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void require(bool ok, const std::string& field, const std::string& rule, const std::string& got) {
  if (!ok) throw std::invalid_argument("ForecastTrainingOptions." + field + " " + rule + ", got " + got);
}

// Field-named errors before any work (docs/timeseries.md, "From an app"): the readers' own
// messages speak of files and rows, not of these options.
void check_options(const ForecastTrainingOptions& o) {
  require(!o.csv.empty(), "csv", "must name a CSV file", "an empty string");
  require(!o.out.empty(), "out", "must name the model file to write", "an empty string");
  require(o.seq_len >= 2 && o.seq_len <= 100000, "seq_len", "must be from 2 to 100000", std::to_string(o.seq_len));
  require(o.pred_len >= 1 && o.pred_len <= 100000, "pred_len", "must be from 1 to 100000", std::to_string(o.pred_len));
  require(o.stride >= 1, "stride", "must be at least 1", std::to_string(o.stride));
  require(o.season >= 0, "season", "must be 0 (from the step) or positive", std::to_string(o.season));
  require(o.d_model >= 0, "d_model", "must be 0 (16 x seq_len) or positive", std::to_string(o.d_model));
  require(o.train_fraction > 0 && o.train_fraction < 1, "train_fraction", "must lie between 0 and 1 (exclusive)",
          number(o.train_fraction));
  require(o.validation_fraction >= 0 && o.validation_fraction < 1, "validation_fraction", "must lie in [0, 1)",
          number(o.validation_fraction));
  require(o.train_fraction + o.validation_fraction < 1, "train_fraction + validation_fraction",
          "must be below 1 (the rest is the test part)", number(o.train_fraction + o.validation_fraction));
  require(o.drop_path >= 0 && o.drop_path < 1, "drop_path", "must lie in [0, 1)", number(o.drop_path));
}

// Everything the model file stores, resolved from the table; the scaler is fitted on the
// training rows only.
ForecastSpec make_spec(const ForecastTrainingOptions& o, const modalities::SeriesTable& table) {
  ForecastSpec spec;
  spec.csv = o.columns;
  const auto first_covariate = table.names.begin() + static_cast<std::ptrdiff_t>(table.num_targets);
  spec.targets.assign(table.names.begin(), first_covariate);
  spec.covariates.assign(first_covariate, table.names.end());
  spec.csv.targets = spec.targets;
  spec.csv.covariates = spec.covariates;
  if (spec.csv.time_col.empty()) spec.csv.time_col = table.time_column;
  spec.time_style = table.time_style;
  spec.step = table.step;
  spec.seq_len = o.seq_len;
  spec.pred_len = o.pred_len;
  spec.d_model = o.d_model;
  spec.time_features = o.time_features;
  spec.season = o.season > 0 ? o.season : modalities::default_season(table.step, table.time_style.format);
  spec.split.train = o.train_fraction;
  spec.split.validation = o.validation_fraction;
  spec.backbone = o.model.empty() ? default_forecast_backbone() : models::resolve_config(o.model);
  spec.backbone.in_chans = 1;
  return spec;
}

struct ForecastData {
  std::shared_ptr<ForecastWindows> train, validation;  // validation: null without a validation part
};

ForecastData make_windows(const ForecastTrainingOptions& o, const modalities::SeriesTable& table, ForecastSpec& spec) {
  const auto split = modalities::chronological_split(table.length(), spec.split, spec.seq_len, spec.pred_len);
  spec.scaler = modalities::Standardizer::fit(table, split.train_rows);
  const auto prepared = prepare_series(table, spec);
  const auto V = static_cast<int64_t>(spec.targets.size());
  ForecastData d;
  d.train = std::make_shared<ForecastWindows>(
      prepared, modalities::window_starts(split.train, spec.seq_len, spec.pred_len, o.stride), spec.seq_len,
      spec.pred_len, V);
  if (split.validation.end > split.validation.begin)
    d.validation = std::make_shared<ForecastWindows>(
        prepared, modalities::window_starts(split.validation, spec.seq_len, spec.pred_len), spec.seq_len, spec.pred_len,
        V);
  return d;
}

std::string windows_summary(const ForecastSpec& spec, const ForecastData& d) {
  const auto side = std::to_string(spec.model_options().map_side());
  return "windows " + std::to_string(spec.seq_len) + " -> " + std::to_string(spec.pred_len) + ": " +
         std::to_string(d.train->size()) + " train, " + std::to_string(d.validation ? d.validation->size() : 0) +
         " validation; map " + side + " x " + side;
}

// `from` copied to `to` through io::AtomicFile: `to` holds its old content or the whole model.
void copy_atomically(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) throw std::runtime_error(from + ": cannot be read");
  std::stringstream bytes;
  bytes << in.rdbuf();
  io::AtomicFile out(to);
  out.write(bytes.str());
  out.commit();
}

}  // namespace

ForecastTrainingResult train_forecaster(const ForecastTrainingOptions& o, TrainOptions t,
                                        const std::function<void(const std::string&)>& note,
                                        ProgressCallback progress) {
  check_options(o);
  auto say = [&](const std::string& line) {
    if (note) note(line);
  };
  const auto table = modalities::read_series_csv(o.csv, o.columns);
  say(series_table_summary(table));
  auto spec = make_spec(o, table);
  const auto data = make_windows(o, table, spec);
  say(windows_summary(spec, data));

  at::manual_seed(t.seed);
  ForecastTask task(spec, o.drop_path);
  // The linear paths start at their least-squares optimum on the training windows (a resumed run
  // overwrites them with its checkpoint).
  task.net()->fit_linear_paths(data.train->inputs(), data.train->targets());
  if (t.output_dir.empty()) t.output_dir = o.out + ".train";
  if (t.monitor.empty()) t.monitor = "loss";
  ForecastTrainingResult result;
  result.output_dir = t.output_dir;
  Trainer trainer(task, t);
  if (progress) trainer.set_progress(std::move(progress));
  result.run = trainer.fit(data.train, data.validation);
  if (result.run.interrupted) return result;

  const std::string best = t.output_dir + "/best_deploy.safetensors";
  if (!std::filesystem::exists(best)) throw std::runtime_error(best + ": training wrote no model");
  // Scored before `out` is written: a model whose scores are not finite never replaces a file.
  auto loaded = load_forecaster(best);
  result.evaluation = evaluate_forecaster(loaded, table);
  copy_atomically(best, o.out);
  result.model_file = o.out;
  return result;
}

}  // namespace unirep::sdk
