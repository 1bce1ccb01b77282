#include "models/timeseries/unireplknet_forecaster.h"
#include "models/timeseries/linear_forecaster.h"
#include "models/timeseries/series_decomposition.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include <cmath>
#include <stdexcept>

namespace unirep::models {

int64_t UniRepLKNetForecasterOptions::map_side() const {
  const int64_t n = seq_len_ * resolved_d_model();
  auto s = static_cast<int64_t>(std::floor(std::sqrt(static_cast<double>(n))));
  while (s * s < n) ++s;
  while ((s - 1) * (s - 1) >= n) --s;
  return s;
}

UniRepLKNetForecasterImpl::UniRepLKNetForecasterImpl(const UniRepLKNetForecasterOptions& opts) : options(opts) {
  const int64_t L = options.seq_len(), H = options.pred_len(), V = options.num_vars(), D = options.resolved_d_model();
  if (L < 2 || H < 1 || V < 1 || D < 1 || options.num_covariates() < 0 || options.num_time_features() < 0)
    throw std::invalid_argument(
        "forecaster: seq_len >= 2, pred_len >= 1, at least one variable and d_model >= 1 are needed");
  if (options.map_side() < 32)
    throw std::invalid_argument("forecaster: the embedding map is " + std::to_string(options.map_side()) +
                                " pixels wide; the backbone needs at least 32 (raise d_model or seq_len)");
  auto cfg = options.backbone();
  cfg.in_chans = 1;
  cfg.num_classes = 0;
  options.backbone(cfg);

  revin_weight = register_parameter("revin_weight", at::ones({V}));
  revin_bias = register_parameter("revin_bias", at::zeros({V}));
  value_embedding = register_module(
      "value_embedding",
      torch::nn::Conv1d(torch::nn::Conv1dOptions(V, D, 3).padding(1).padding_mode(torch::kCircular).bias(false)));
  torch::nn::init::kaiming_normal_(value_embedding->weight, 0.0, torch::kFanIn,
                                   torch::kLeakyReLU);  // the official init
  if (options.num_time_features() > 0)
    time_embedding = register_module(
        "time_embedding", torch::nn::Linear(torch::nn::LinearOptions(options.num_time_features(), D).bias(false)));
  if (options.num_covariates() > 0)
    covariate_embedding = register_module(
        "covariate_embedding", torch::nn::Linear(torch::nn::LinearOptions(options.num_covariates(), D).bias(false)));
  embedding_dropout = register_module("embedding_dropout", torch::nn::Dropout(options.dropout()));
  backbone = register_module("backbone", UniRepLKNet(UniRepLKNetOptions(cfg)
                                                         .deploy(options.deploy())
                                                         .drop_path_rate(options.drop_path_rate())
                                                         .head_kind(HeadKind::None)));
  const int64_t C = cfg.dims[3];
  head_norm = register_module("head_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({C})));
  head = register_module("head", torch::nn::Linear(C, H * V));
  trend_linear = register_module("trend_linear", torch::nn::Linear(L, H));
  seasonal_linear = register_module("seasonal_linear", torch::nn::Linear(L, H));
  torch::NoGradGuard no_grad;
  head->weight.zero_();
  head->bias.zero_();
  trend_linear->weight.fill_(1.0 / static_cast<double>(L));
  trend_linear->bias.zero_();
  seasonal_linear->weight.fill_(1.0 / static_cast<double>(L));
  seasonal_linear->bias.zero_();
}

void UniRepLKNetForecasterImpl::fit_linear_paths(const torch::Tensor& x, const torch::Tensor& y, double ridge) {
  torch::NoGradGuard no_grad;
  const auto [xn, mean, std] = instance_normalize(x);
  auto w = revin_weight.detach(), b = revin_bias.detach();
  auto yn = (y - mean) / std * w + b;
  // Weighted by std / w, so the fit minimizes the error in the units of the loss, not in each
  // window's own normalized units (a near-constant window would otherwise dominate).
  LinearForecaster fit(options.seq_len(), options.pred_len());
  fit->fit(xn, yn, ridge, (std / w).squeeze(1));
  trend_linear->weight.copy_(fit->weight);
  seasonal_linear->weight.copy_(fit->weight);
  trend_linear->bias.copy_(fit->bias);
  seasonal_linear->bias.zero_();
}

torch::Tensor UniRepLKNetForecasterImpl::normalized_embedding(const torch::Tensor& xn, const torch::Tensor& x) {
  const int64_t V = options.num_vars(), F = options.num_time_features();
  auto emb = value_embedding->forward(xn.transpose(1, 2)).transpose(1, 2);  // N x L x D
  if (F > 0) emb = emb + time_embedding->forward(x.narrow(2, V, F));
  if (options.num_covariates() > 0)
    emb = emb + covariate_embedding->forward(x.narrow(2, V + F, options.num_covariates()));
  return embedding_dropout->forward(emb);
}

UniRepLKNetForecasterImpl::Normalized UniRepLKNetForecasterImpl::instance_normalize(const torch::Tensor& x) {
  auto values = x.narrow(2, 0, options.num_vars());
  auto mean = values.mean(1, true);
  auto std = (values.var(1, /*unbiased=*/false, true) + 1e-5).sqrt();
  return {(values - mean) / std * revin_weight + revin_bias, mean, std};
}

torch::Tensor UniRepLKNetForecasterImpl::square_map(const torch::Tensor& emb) {
  const int64_t N = emb.size(0), S = options.map_side(), n = emb.size(1) * emb.size(2);
  auto flat = emb.reshape({N, n});
  if (S * S > n) flat = at::cat({flat, at::zeros({N, S * S - n}, flat.options())}, 1);
  return flat.reshape({N, 1, S, S});
}

torch::Tensor UniRepLKNetForecasterImpl::embed_map(const torch::Tensor& x) {
  return square_map(normalized_embedding(instance_normalize(x).xn, x));
}

torch::Tensor UniRepLKNetForecasterImpl::forward(const torch::Tensor& x) {
  return forward(x, [this](const torch::Tensor& map) { return backbone->forward(map, OutputMode::Pooled); });
}

torch::Tensor UniRepLKNetForecasterImpl::forward(const torch::Tensor& x, const PooledFeatures& pooled) {
  TORCH_CHECK(x.dim() == 3 && x.size(1) == options.seq_len() && x.size(2) == options.input_channels(),
              "forecaster input must be N x ", options.seq_len(), " x ", options.input_channels(), ", got ", x.sizes());
  const int64_t N = x.size(0), V = options.num_vars(), H = options.pred_len();
  // 1. instance normalization with the learnable affine
  const auto [xn, mean, std] = instance_normalize(x);
  // 2. decomposition; 6. the linear paths over time (on N x V x L)
  auto [seasonal, trend] = decompose_series(xn, options.moving_avg());
  auto out = trend_linear->forward(trend.transpose(1, 2)) + seasonal_linear->forward(seasonal.transpose(1, 2));
  out = out.transpose(1, 2);  // N x H x V
  // 3-5. embedding -> square map -> backbone -> head
  auto map = square_map(normalized_embedding(xn, x)).contiguous(at::MemoryFormat::ChannelsLast);
  auto features = pooled(map);
  out = out + head->forward(head_norm->forward(features)).reshape({N, H, V});
  // undo the instance normalization
  return (out - revin_bias) / (revin_weight + 1e-10) * std + mean;
}

}  // namespace unirep::models
