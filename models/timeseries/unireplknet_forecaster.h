#pragma once
// The UniRepLKNet forecaster (docs/timeseries.md, The forecaster; the official model it simplifies:
// docs/reference.md, Time series): a window of a multivariate series becomes a
// one-channel square map, the backbone reads it like an image, and a head turns its features into
// the next pred_len steps of every variable. Step by step (N windows, L = seq_len, V targets):
//   1. instance normalization per variable over the window, with a learnable affine per variable
//      (the official model's w, b; undone on the output);
//   2. decomposition of the normalized window into trend (moving average, kernel 25) + seasonal;
//   3. embedding of each step to d_model: value convolution over time (kernel 3, circular padding,
//      no bias) + time-feature Linear (4 -> d_model, no bias) + covariate Linear (no bias);
//   4. the L x d_model embedding read row-major as a square 1 x S x S map, S = ceil(sqrt(L d_model))
//      (zero-padded at the end when L d_model is not a square; the default d_model = 16 L makes it
//      exact with S = 4 L, each step filling four rows as the official 48 x 768 -> 192 x 192);
//   5. the backbone (any layout, in_chans 1), pooled, LayerNorm, Linear to H x V;
//   6. plus the trend path: a Linear over time (L -> H, shared by the variables, started as "carry
//      the window's mean", which is what the official trend_init does) on the trend, and a
//      Linear over time on the seasonal part (DLinear's skip), so the backbone learns what a linear
//      map of the window cannot. The head starts at zero, so training starts from the linear paths.
// Parameter names: backbone.* (official), revin_weight/revin_bias, value_embedding.weight,
// time_embedding.weight, covariate_embedding.weight, head_norm.*, head.*, trend_linear.*,
// seasonal_linear.*.
#include "models/backbone/unireplknet.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace unirep::models {

struct UniRepLKNetForecasterOptions {
  UniRepLKNetForecasterOptions(BackboneConfig backbone, int64_t seq_len, int64_t pred_len, int64_t num_vars)
      : backbone_(std::move(backbone)), seq_len_(seq_len), pred_len_(pred_len), num_vars_(num_vars) {}
  TORCH_ARG(BackboneConfig, backbone);  // in_chans forced to 1, num_classes ignored
  TORCH_ARG(int64_t, seq_len);
  TORCH_ARG(int64_t, pred_len);
  TORCH_ARG(int64_t, num_vars);            // target variables (forecast)
  TORCH_ARG(int64_t, num_covariates) = 0;  // extra input variables (not forecast)
  TORCH_ARG(int64_t, num_time_features) = 4;
  TORCH_ARG(int64_t, d_model) = 0;  // 0: 16 x seq_len
  TORCH_ARG(int64_t, moving_avg) = 25;
  TORCH_ARG(double, dropout) = 0.05;  // on the embedding, as the official recipe
  TORCH_ARG(double, drop_path_rate) = 0.0;
  TORCH_ARG(bool, deploy) = false;

 public:
  int64_t resolved_d_model() const { return d_model_ > 0 ? d_model_ : 16 * seq_len_; }
  int64_t map_side() const;  // S
  int64_t input_channels() const { return num_vars_ + num_time_features_ + num_covariates_; }
};

class UniRepLKNetForecasterImpl : public torch::nn::Module {
 public:
  explicit UniRepLKNetForecasterImpl(const UniRepLKNetForecasterOptions& options);
  // x: N x seq_len x (num_vars + num_time_features + num_covariates), in that column order.
  // Returns N x pred_len x num_vars in the input's units.
  torch::Tensor forward(const torch::Tensor& x);
  // The same with the backbone's pooled features computed by `pooled` (the SDK passes its fast
  // inference path) instead of `backbone`.
  torch::Tensor forward(const torch::Tensor& x, const PooledFeatures& pooled);
  // The N x 1 x S x S map the backbone reads (for inspection and tests).
  torch::Tensor embed_map(const torch::Tensor& x);
  void reparameterize() { backbone->reparameterize(); }
  // Starts the linear paths at the least-squares optimum over training windows (x: N x L x C
  // inputs, y: N x H x V targets, both as forward() takes them): in the instance-normalized space
  // the paths act in, one map W of the window (trend and seasonal both get W, since they sum to the
  // window) and a bias. Training then begins where the linear baseline ends.
  void fit_linear_paths(const torch::Tensor& x, const torch::Tensor& y, double ridge = 1e-4);

  UniRepLKNetForecasterOptions options;
  torch::Tensor revin_weight, revin_bias;
  torch::nn::Conv1d value_embedding{nullptr};
  torch::nn::Linear time_embedding{nullptr}, covariate_embedding{nullptr};
  torch::nn::Dropout embedding_dropout{nullptr};
  UniRepLKNet backbone{nullptr};
  torch::nn::LayerNorm head_norm{nullptr};
  torch::nn::Linear head{nullptr}, trend_linear{nullptr}, seasonal_linear{nullptr};

 private:
  // Step 1 on the target columns of x: the normalized window and the statistics to undo it.
  struct Normalized {
    torch::Tensor xn, mean, std;
  };
  Normalized instance_normalize(const torch::Tensor& x);
  torch::Tensor normalized_embedding(const torch::Tensor& xn, const torch::Tensor& x);  // step 3
  torch::Tensor square_map(const torch::Tensor& embedding);                             // step 4
};
TORCH_MODULE(UniRepLKNetForecaster);

}  // namespace unirep::models
