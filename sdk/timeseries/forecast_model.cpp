#include "sdk/timeseries/forecast_model.h"

#include "models/io/format_error.h"
#include "modalities/input/quoted_text.h"
#include "models/backbone/state_dict.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

namespace unirep::sdk {
models::UniRepLKNetForecasterOptions ForecastSpec::model_options(bool deploy, double drop_path_rate) const {
  return models::UniRepLKNetForecasterOptions(backbone, seq_len, pred_len, static_cast<int64_t>(targets.size()))
      .num_covariates(static_cast<int64_t>(covariates.size()))
      .d_model(d_model)
      .moving_avg(moving_avg)
      .deploy(deploy)
      .drop_path_rate(drop_path_rate);
}

namespace {
const char* format_name(modalities::TimeFormat f) {
  switch (f) {
    case modalities::TimeFormat::Number:
      return "number";
    case modalities::TimeFormat::Date:
      return "date";
    case modalities::TimeFormat::DateTime:
      return "datetime";
    case modalities::TimeFormat::DateTimeSecs:
      return "datetime_seconds";
  }
  return "number";
}
modalities::TimeFormat format_from(const std::string& s) {
  if (s == "number") return modalities::TimeFormat::Number;
  if (s == "date") return modalities::TimeFormat::Date;
  if (s == "datetime") return modalities::TimeFormat::DateTime;
  if (s == "datetime_seconds") return modalities::TimeFormat::DateTimeSecs;
  throw std::invalid_argument("unknown time format '" + s + "'");
}
const char* zone_name(modalities::ZoneStyle z) {
  switch (z) {
    case modalities::ZoneStyle::None:
      return "none";
    case modalities::ZoneStyle::Z:
      return "Z";
    case modalities::ZoneStyle::Hours:
      return "+HH";
    case modalities::ZoneStyle::HoursColonMinutes:
      return "+HH:MM";
    case modalities::ZoneStyle::HoursMinutes:
      return "+HHMM";
  }
  return "none";
}
modalities::ZoneStyle zone_from(const std::string& s) {
  for (auto z : {modalities::ZoneStyle::None, modalities::ZoneStyle::Z, modalities::ZoneStyle::Hours,
                 modalities::ZoneStyle::HoursColonMinutes, modalities::ZoneStyle::HoursMinutes})
    if (s == zone_name(z)) return z;
  throw std::invalid_argument("unknown UTC offset style '" + s + "'");
}

// The stored standardization must be usable as it is: a std of 0, a negative or non-finite std or
// mean would turn every forecast into NaN or inf (docs/timeseries.md, Data). Files written by
// `unirep forecast train` always pass: constant columns are stored with std 1.
std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void check_scaler(const ForecastSpec& s) {
  const size_t nt = s.targets.size();
  for (size_t c = 0; c < s.scaler.mean.size(); ++c) {
    const std::string column = c < nt ? s.targets[c] : s.covariates[c - nt];
    const double mean = s.scaler.mean[c], sd = s.scaler.std[c];
    if (!std::isfinite(mean) || std::abs(mean) > modalities::kMaxSeriesMagnitude)
      throw std::invalid_argument("the stored standardization of " + modalities::quoted(column) + " has mean " +
                                  number(mean) + "; it must be finite and within +-1e15 (the file is damaged)");
    if (!(sd > 0) || !std::isfinite(sd) || sd > 2 * modalities::kMaxSeriesMagnitude)
      throw std::invalid_argument("the stored standardization of " + modalities::quoted(column) + " has std " +
                                  number(sd) + "; it must be positive, finite and at most 2e15 (the file is damaged)");
  }
}
}  // namespace

std::string forecast_task_json(const ForecastSpec& s) {
  nlohmann::json j;
  j["seq_len"] = s.seq_len;
  j["pred_len"] = s.pred_len;
  j["d_model"] = s.d_model;
  j["moving_avg"] = s.moving_avg;
  j["time_col"] = s.csv.time_col;
  j["series_id_col"] = s.csv.series_id_col;
  j["value_col"] = s.csv.value_col;
  j["resample_seconds"] = s.csv.resample_seconds ? nlohmann::json(*s.csv.resample_seconds) : nlohmann::json(nullptr);
  j["targets"] = s.targets;
  j["covariates"] = s.covariates;
  j["time_format"] = format_name(s.time_style.format);
  j["date_separator"] = std::string(1, s.time_style.date_separator);
  j["time_separator"] = std::string(1, s.time_style.time_separator);
  j["time_zone"] = zone_name(s.time_style.zone);
  j["utc_offset_minutes"] = s.time_style.utc_offset_minutes;
  j["fraction_digits"] = s.time_style.fraction_digits;
  j["fraction_separator"] = std::string(1, s.time_style.fraction_separator);
  j["step"] = s.step;
  j["season"] = s.season;
  j["split"] = {{"train", s.split.train}, {"validation", s.split.validation}};
  j["scaler"] = {{"mean", s.scaler.mean}, {"std", s.scaler.std}};
  j["time_features"] = s.time_features;
  return j.dump();
}

ForecastSpec forecast_spec(const ModelFile& file) {
  ForecastSpec s;
  s.backbone = file.backbone;
  try {
    const auto j = nlohmann::json::parse(file.task_json);
    s.seq_len = j.at("seq_len").get<int64_t>();
    s.pred_len = j.at("pred_len").get<int64_t>();
    s.d_model = j.at("d_model").get<int64_t>();
    s.moving_avg = j.at("moving_avg").get<int64_t>();
    s.csv.time_col = j.at("time_col").get<std::string>();
    s.csv.series_id_col = j.at("series_id_col").get<std::string>();
    s.csv.value_col = j.at("value_col").get<std::string>();
    if (!j.at("resample_seconds").is_null()) s.csv.resample_seconds = j.at("resample_seconds").get<double>();
    s.targets = j.at("targets").get<std::vector<std::string>>();
    s.covariates = j.at("covariates").get<std::vector<std::string>>();
    s.csv.targets = s.targets;
    s.csv.covariates = s.covariates;
    s.time_style.format = format_from(j.at("time_format").get<std::string>());
    s.time_style.date_separator = j.at("date_separator").get<std::string>().at(0);
    s.time_style.time_separator = j.at("time_separator").get<std::string>().at(0);
    // Absent in files written before UTC offsets were kept: no offset, whole seconds.
    s.time_style.zone = zone_from(j.value("time_zone", std::string("none")));
    s.time_style.utc_offset_minutes = j.value("utc_offset_minutes", 0);
    s.time_style.fraction_digits = j.value("fraction_digits", 0);
    s.time_style.fraction_separator = j.value("fraction_separator", std::string(".")).at(0);
    s.step = j.at("step").get<double>();
    s.season = j.at("season").get<int64_t>();
    s.split.train = j.at("split").at("train").get<double>();
    s.split.validation = j.at("split").at("validation").get<double>();
    s.scaler.mean = j.at("scaler").at("mean").get<std::vector<float>>();
    s.scaler.std = j.at("scaler").at("std").get<std::vector<float>>();
    s.time_features = j.at("time_features").get<bool>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("forecaster settings are malformed: ") + e.what());
  } catch (const std::out_of_range&) {
    throw std::invalid_argument("forecaster settings are malformed: empty separator");
  }
  if (s.targets.empty() || s.seq_len < 2 || s.pred_len < 1 || !(s.step > 0) ||
      s.scaler.mean.size() != s.targets.size() + s.covariates.size() || s.scaler.std.size() != s.scaler.mean.size())
    throw std::invalid_argument("forecaster settings are inconsistent (targets, window lengths, step or scaler)");
  if (std::abs(s.time_style.utc_offset_minutes) > 24 * 60 || s.time_style.fraction_digits < 0 ||
      s.time_style.fraction_digits > 9)
    throw std::invalid_argument("forecaster settings are inconsistent (UTC offset or digits of seconds)");
  check_scaler(s);
  return s;
}

ForecastTask::ForecastTask(ForecastSpec spec, double drop_path_rate)
    : spec_(std::move(spec)), net_(spec_.model_options(false, drop_path_rate)) {}

io::NamedTensors ForecastTask::deploy_state() {
  models::UniRepLKNetForecaster copy(spec_.model_options(false));
  models::load_state_dict(*copy, models::state_dict(*net_));
  copy->eval();
  copy->reparameterize();
  return models::state_dict(*copy);
}

std::map<std::string, std::string> ForecastTask::deploy_metadata() {
  ModelFile f;
  f.kind = kForecasterKind;
  f.backbone = spec_.backbone;
  f.labels = spec_.targets;
  f.task_json = forecast_task_json(spec_);
  return model_file_metadata(f);
}

Forecaster load_forecaster(const std::string& path, const InferenceSettings& inference) {
  auto file = read_model_file(path, kForecasterKind);
  Forecaster out;
  out.path = path;
  try {
    out.spec = forecast_spec(file);
  } catch (const std::invalid_argument& e) {
    throw io::FormatError(path, e.what());
  }
  try {
    out.net = models::UniRepLKNetForecaster(out.spec.model_options(/*deploy=*/true));
    models::load_state_dict(*out.net, file.tensors);
  } catch (const std::exception& e) {
    throw io::FormatError(path, std::string("weights do not fit the stored architecture: ") + e.what());
  }
  out.net->eval();
  out.backbone = InferenceBackbone(out.net->backbone, inference);
  return out;
}

}  // namespace unirep::sdk
