// The time-series task: a CSV series and the UniRepLKNet forecaster, trained by the forecasting
// recipe (forecast_training.h; docs/timeseries.md). `unirep forecast train` is its own command;
// here the task joins the registry, so apps train it like the others.
#include "modalities/timeseries/series_csv.h"
#include "modalities/timeseries/time_stamp.h"
#include "sdk/tasks/task_recipe.h"
#include "sdk/tasks/train_settings.h"
#include "sdk/timeseries/forecast_evaluation.h"
#include "sdk/timeseries/forecast_model.h"
#include "sdk/timeseries/forecast_training.h"

#include <sstream>

namespace unirep::sdk {
namespace {

std::vector<std::string> comma_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

Option required(Option o) {
  o.required = true;
  return o;
}

Option renamed(Option o, const char* flag) {
  o.flag = flag;
  return o;
}

modalities::SeriesCsvOptions columns(const Settings& s) {
  modalities::SeriesCsvOptions c;
  c.time_col = s.text("time_col");
  c.targets = comma_list(s.text("targets"));
  c.covariates = comma_list(s.text("covariates"));
  c.series_id_col = s.text("series_id_col");
  c.value_col = s.text("value_col");
  if (s.given("resample")) {
    c.resample_seconds = modalities::parse_frequency(s.text("resample"));
    if (!c.resample_seconds)
      throw std::invalid_argument("timeseries: option 'resample' cannot read the frequency '" + s.text("resample") +
                                  "'");
  }
  return c;
}

std::map<std::string, double> scores(const ForecastEvaluation& e) {
  std::map<std::string, double> m = {
      {"mse", e.model.mse}, {"mae", e.model.mae}, {"windows", static_cast<double>(e.test_windows)}};
  for (const auto& [name, err] : e.baselines) m[name + "_mse"] = err.mse, m[name + "_mae"] = err.mae;
  return m;
}

class ForecastRecipe : public TaskRecipe {
 public:
  std::string name() const override { return "timeseries"; }
  std::string description() const override { return "Forecast a CSV time series (unirep forecast train)"; }
  bool needs_model() const override { return false; }
  TrainOptions training_defaults() const override { return forecast_training_defaults(); }

  std::vector<Option> options() const override {
    const ForecastTrainingOptions d;
    return {file_option("csv", "The series: a CSV file with a header", true),
            required(text_option("out", "", "Model file to write (.safetensors)")),
            text_option("time_col", "", "Time column (default: the first)"),
            renamed(text_option("targets", "", "Target columns, comma-separated (default: every numeric column)"),
                    "target"),
            text_option("covariates", "", "Extra input columns, comma-separated (not forecast)"),
            text_option("series_id_col", "", "Long format: the series id column (rows time,id,value)"),
            text_option("value_col", d.columns.value_col, "Long format: the value column"),
            text_option("resample", "", "Resample onto a regular grid: 1h, 30min, 1d, ..."),
            integer_option("seq_len", d.seq_len, "Input steps per window", 2, 100000),
            integer_option("pred_len", d.pred_len, "Steps to forecast", 1, 100000),
            integer_option("stride", d.stride, "Step between training windows", 1, 1e9),
            integer_option("season", d.season, "Season of the seasonal-naive baseline in steps (0: from the frequency)",
                           0, 1e9),
            integer_option("d_model", d.d_model, "Embedding width (0: 16 x seq_len, a square map)", 0, 1e6),
            number_option("train_fraction", d.train_fraction, "Training part of the series, chronological", 0, 1),
            number_option("validation_fraction", d.validation_fraction,
                          "Validation part after it (the test part is the rest)", 0, 1),
            flag_option("time_features", d.time_features, "Embed calendar features")};
  }

  std::vector<Option> training_options() const override {
    auto options = TaskRecipe::training_options();
    for (auto& o : options)
      if (o.key == "output_dir") o.required = false, o.help = "Checkpoints and metrics.jsonl (default: OUT.train)";
    return options;
  }

  PreparedTraining prepare(const Settings&, TrainOptions&, const NoteCallback&) const override {
    throw std::logic_error("timeseries trains through train_forecaster");
  }

  TrainingRun train(const Settings& s, const TrainingCallbacks& cb) const override {
    s.require(name());
    ForecastTrainingOptions o;
    o.csv = s.text("csv");
    o.columns = columns(s);
    o.model = s.text("model");
    o.seq_len = s.integer("seq_len"), o.pred_len = s.integer("pred_len"), o.stride = s.integer("stride");
    o.season = s.integer("season"), o.d_model = s.integer("d_model");
    o.train_fraction = s.number("train_fraction"), o.validation_fraction = s.number("validation_fraction");
    o.drop_path = s.number("drop_path");
    o.time_features = s.flag("time_features");
    o.out = s.text("out");
    const auto r = train_forecaster(o, read_train_options(s, training_defaults()), cb.note, cb.progress);
    TrainingRun run;
    run.result = r.run;
    run.model_file = r.model_file;
    if (!r.model_file.empty())
      for (const auto& [k, v] : scores(r.evaluation)) run.test["test_" + k] = v;
    return run;
  }

  std::vector<Option> evaluation_options() const override {
    return {file_option("model_file", "Forecaster model file", true),
            file_option("csv", "A CSV laid out like the training file", true), precision_option()};
  }

  Evaluation evaluate(const Settings& s, const CountCallback&) const override {
    s.require(name());
    auto loaded = load_forecaster(s.text("model_file"), inference_settings(s));
    const auto table = modalities::read_series_csv(s.text("csv"), loaded.spec.csv);
    return Evaluation{scores(evaluate_forecaster(loaded, table)), std::nullopt};
  }
};

}  // namespace

const TaskRecipe& forecast_recipe() {
  static const ForecastRecipe recipe;
  return recipe;
}

}  // namespace unirep::sdk
