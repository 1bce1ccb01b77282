#pragma once
// Training a forecaster from a CSV in one call, the recipe of docs/timeseries.md ("The
// forecaster", training recipe): read and split the series chronologically, fit the
// standardization on the training rows, cut the windows, start the linear paths at their
// least-squares optimum, train, score the best model against the baselines and only then write
// the model file (atomically). `unirep forecast train` is this call plus argument parsing.
#include "models/backbone/backbone_config.h"
#include "modalities/timeseries/series_csv.h"
#include "sdk/timeseries/forecast_evaluation.h"
#include "sdk/train/trainer.h"

#include <cstdint>
#include <functional>
#include <string>

namespace unirep::sdk {

struct ForecastTrainingOptions {
  std::string csv;                       // the series, a CSV file with a header
  modalities::SeriesCsvOptions columns;  // time column, targets, covariates, long format, resampling
  std::string model;                     // backbone variant (a..xl) or JSON layout; "" = default_forecast_backbone()
  int64_t seq_len = 48, pred_len = 24;   // input and forecast steps per window
  int64_t stride = 1;                    // step between training windows
  int64_t season = 0;                    // seasonal-naive baseline; 0 = from the series' step
  int64_t d_model = 0;                   // embedding width; 0 = 16 x seq_len (a square map)
  double train_fraction = 0.7, validation_fraction = 0.1;  // chronological; the test part is the rest
  double drop_path = 0;                                    // drop path rate of the backbone, in [0, 1)
  bool time_features = true;                               // embed the calendar features
  std::string out;                                         // the model file to write (.safetensors)
};

// The forecasting recipe's training settings, in one place: 10 epochs of batch 32, AdamW at lr
// 3e-4 with 1 warm-up epoch and cosine decay to 1e-5, weight decay 0.05, MSE loss, early stopping
// on the validation loss after 3 epochs, no batch dropped.
TrainOptions forecast_training_defaults();

// The default backbone for forecasting: a small layout (0.9 M parameters) that trains in minutes
// on 2 cores on maps of 112..192 pixels.
models::BackboneConfig default_forecast_backbone();

// "FILE: N rows, V targets + C covariates, step S s (resampled), K missing cells filled".
std::string series_table_summary(const modalities::SeriesTable& table);

struct ForecastTrainingResult {
  TrainResult run;                // run.interrupted: stopped resumably, nothing written to `out`
  ForecastEvaluation evaluation;  // the best model and the baselines on the test split
  std::string model_file;         // `out` once written; empty when the run was interrupted
  std::string output_dir;         // checkpoints and metrics.jsonl (where an interrupted run resumes from)
};

// Trains on `o.csv` with the training settings `t` (start from forecast_training_defaults()).
// t.output_dir defaults to o.out + ".train"; a run found there is resumed (TrainOptions::resume).
// `note` receives one-line notes (the table read, the windows); nothing is printed. `progress`,
// when set, is handed to the Trainer. The run stops resumably when Trainer::request_stop()
// is called (Trainer::install_interrupt_handler() connects Ctrl-C to it). The best model is scored
// before `o.out` is replaced, so a model whose scores are not finite never replaces a file.
// Throws std::invalid_argument naming the field ("ForecastTrainingOptions.seq_len ...") for
// options out of range, and the reader's and Trainer's errors otherwise.
ForecastTrainingResult train_forecaster(const ForecastTrainingOptions& o, TrainOptions t,
                                        const std::function<void(const std::string&)>& note = {},
                                        ProgressCallback progress = {});

}  // namespace unirep::sdk
