#include "models/fast/fast_training_ops.h"

#include "models/backbone/batch_norm.h"
#include "models/backbone/grn.h"
#include "models/backbone/layer_norm.h"
#include "models/fast/training_kernels.h"

#include <ATen/ATen.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <torch/csrc/autograd/custom_function.h>

#include <unordered_map>

namespace unirep::models {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

bool is_cpu_float(const at::Tensor& t) {
  return !t.defined() || (t.device().is_cpu() && t.scalar_type() == at::kFloat);
}

// LibTorch 1.13's custom functions take no undefined tensor among their inputs: a missing bias
// travels as an empty tensor.
at::Tensor bias_or_empty(const at::Tensor& bias, const at::Tensor& like) {
  return bias.defined() ? bias : at::empty({0}, like.options());
}
bool has(const at::Tensor& bias) {
  return bias.numel() > 0;
}

// ---- oneDNN matmul on LibTorch tensors ------------------------------------------------------------

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::memory::desc matrix_desc(const at::Tensor& t) {
  const auto type = t.scalar_type() == at::kBFloat16 ? dnnl::memory::data_type::bf16 : dnnl::memory::data_type::f32;
  return dnnl::memory::desc({t.size(0), t.size(1)}, type, {t.stride(0), t.stride(1)});
}

// c = a b (+ bias): a M x K and b K x N with any strides (a transposed view costs no copy), both
// float32 or both bfloat16, bias N (float32) or undefined, c M x N float32. oneDNN's primitive cache makes the repeated
// creation for a shape cheap.
void matmul(const at::Tensor& a, const at::Tensor& b, const at::Tensor& bias, at::Tensor& c) {
  auto& engine = cpu_engine();
  const auto a_md = matrix_desc(a), b_md = matrix_desc(b), c_md = matrix_desc(c);
  std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, dnnl::memory(a_md, engine, a.data_ptr())},
                                                {DNNL_ARG_WEIGHTS, dnnl::memory(b_md, engine, b.data_ptr())},
                                                {DNNL_ARG_DST, dnnl::memory(c_md, engine, c.data_ptr())}};
  dnnl::matmul::primitive_desc pd;
  if (bias.defined()) {
    const dnnl::memory::desc bias_md({1, c.size(1)}, dnnl::memory::data_type::f32, {c.size(1), 1});
    pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_md, b_md, bias_md, c_md), engine);
    args.emplace(DNNL_ARG_BIAS, dnnl::memory(bias_md, engine, bias.data_ptr()));
  } else {
    pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_md, b_md, c_md), engine);
  }
  dnnl::stream stream(engine);
  dnnl::matmul(pd).execute(stream, args);
  stream.wait();
}

// ---- Channels-first LayerNorm ----------------------------------------------------------------------

struct LayerNormFunction : torch::autograd::Function<LayerNormFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                            double eps) {
    auto in = x.contiguous(at::MemoryFormat::ChannelsLast);
    const auto channels = in.size(1), rows = in.numel() / channels;
    auto w = weight.contiguous(), b = bias.contiguous();
    auto out = at::empty_like(in, at::MemoryFormat::ChannelsLast);
    auto mean = at::empty({rows}, in.options()), rstd = at::empty({rows}, in.options());
    layer_norm_forward(in.data_ptr<float>(), out.data_ptr<float>(), rows, channels, w.data_ptr<float>(),
                       b.data_ptr<float>(), static_cast<float>(eps), mean.data_ptr<float>(), rstd.data_ptr<float>());
    ctx->save_for_backward({in, w, mean, rstd});
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1], &mean = saved[2], &rstd = saved[3];
    const auto channels = x.size(1), rows = x.numel() / channels;
    auto dy = grads[0].contiguous(at::MemoryFormat::ChannelsLast);
    auto dx = at::empty_like(x, at::MemoryFormat::ChannelsLast), dw = at::empty_like(w), db = at::empty_like(w);
    layer_norm_backward(x.data_ptr<float>(), dy.data_ptr<float>(), rows, channels, w.data_ptr<float>(),
                        mean.data_ptr<float>(), rstd.data_ptr<float>(), dx.data_ptr<float>(), dw.data_ptr<float>(),
                        db.data_ptr<float>());
    return {dx, dw, db, at::Tensor()};
  }
};

// ---- GELU -----------------------------------------------------------------------------------------

struct GeluFunction : torch::autograd::Function<GeluFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x) {
    auto in = x.contiguous(x.suggest_memory_format());
    auto out = at::empty_like(in);
    gelu_forward(in.data_ptr<float>(), out.data_ptr<float>(), in.numel());
    ctx->save_for_backward({in});
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto x = ctx->get_saved_variables()[0];
    auto dy = grads[0].contiguous(x.suggest_memory_format());
    auto dx = at::empty_like(x);
    gelu_backward(x.data_ptr<float>(), dy.data_ptr<float>(), dx.data_ptr<float>(), x.numel());
    return {dx};
  }
};

// ---- Linear ---------------------------------------------------------------------------------------

// The GEMM operands: float32 as they are, or rounded to bfloat16 (docs/performance.md, "bf16
// training"); products are summed and written in float32 either way.
at::Tensor operand(const at::Tensor& t, bool bf16) {
  return bf16 ? t.to(at::kBFloat16) : t;
}

struct LinearFunction : torch::autograd::Function<LinearFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                            bool bf16) {
    const auto in = weight.size(1), out = weight.size(0);
    auto rows = operand(x.reshape({-1, in}).contiguous(), bf16);
    auto w = operand(weight.contiguous(), bf16);
    auto y = at::empty({rows.size(0), out}, x.options());
    matmul(rows, w.t(), has(bias) ? bias.contiguous() : at::Tensor(), y);
    ctx->save_for_backward({rows, w});
    ctx->saved_data["has_bias"] = has(bias);
    ctx->saved_data["bf16"] = bf16;
    auto shape = x.sizes().vec();
    shape.back() = out;
    return y.view(shape);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &rows = saved[0], &w = saved[1];
    auto dy32 = grads[0].reshape({-1, w.size(0)}).contiguous();
    auto dy = operand(dy32, ctx->saved_data["bf16"].toBool());
    at::Tensor dx, dw, db;
    if (ctx->needs_input_grad(0)) {
      dx = at::empty(rows.sizes(), dy32.options());
      matmul(dy, w, {}, dx);
      auto shape = grads[0].sizes().vec();
      shape.back() = w.size(1);
      dx = dx.view(shape);
    }
    if (ctx->needs_input_grad(1)) {
      dw = at::empty(w.sizes(), dy32.options());
      matmul(dy.t(), rows, {}, dw);
    }
    if (ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(2)) db = dy32.sum(0);
    return {dx, dw, db, at::Tensor()};
  }
};

// ---- GRN ------------------------------------------------------------------------------------------

struct GrnFunction : torch::autograd::Function<GrnFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& gamma,
                            const at::Tensor& beta) {
    auto in = x.contiguous();
    const auto images = in.size(0), channels = in.size(3),
               pixels = in.numel() / std::max<int64_t>(1, images * channels);
    auto g_ = gamma.contiguous(), b_ = beta.contiguous();
    auto out = at::empty_like(in);
    auto norms = at::empty({images, channels}, in.options()), nx = at::empty({images, channels}, in.options());
    grn_forward(in.data_ptr<float>(), out.data_ptr<float>(), images, pixels, channels, g_.data_ptr<float>(),
                b_.data_ptr<float>(), norms.data_ptr<float>(), nx.data_ptr<float>());
    ctx->save_for_backward({in, g_, norms, nx});
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &gamma = saved[1], &norms = saved[2], &nx = saved[3];
    const auto images = x.size(0), channels = x.size(3), pixels = x.numel() / std::max<int64_t>(1, images * channels);
    auto dy = grads[0].contiguous();
    auto dx = at::empty_like(x), dgamma = at::empty_like(gamma), dbeta = at::empty_like(gamma);
    grn_backward(x.data_ptr<float>(), dy.data_ptr<float>(), images, pixels, channels, gamma.data_ptr<float>(),
                 norms.data_ptr<float>(), nx.data_ptr<float>(), dx.data_ptr<float>(), dgamma.data_ptr<float>(),
                 dbeta.data_ptr<float>());
    return {dx, dgamma, dbeta};
  }
};

// ---- The channel MLP: Linear, GELU, GRN, Linear in one function ----------------------------------

// The block's channel MLP with the activation pair fused (gelu_grn_forward/backward): the GELU's
// output is recomputed where needed instead of stored, the first Linear's bias gradient comes with
// the GELU's gradient, and in bf16 the GRN's output and the GELU's gradient are written as the GEMMs'
// bfloat16 operands directly (docs/performance.md, "Training path").
struct ChannelMlpFunction : torch::autograd::Function<ChannelMlpFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w1, const at::Tensor& b1,
                            const at::Tensor& gamma, const at::Tensor& beta, const at::Tensor& w2, const at::Tensor& b2,
                            bool bf16) {
    const auto channels = w1.size(1), hidden = w1.size(0), images = x.size(0);
    auto rows = operand(x.reshape({-1, channels}).contiguous(), bf16);
    const auto count = rows.size(0), pixels = count / std::max<int64_t>(1, images);
    auto w1_op = operand(w1.contiguous(), bf16), w2_op = operand(w2.contiguous(), bf16);
    auto g_ = gamma.contiguous(), beta_ = beta.contiguous();
    auto h = at::empty({count, hidden}, x.options());
    matmul(rows, w1_op.t(), b1.contiguous(), h);
    auto out = at::empty({count, hidden}, x.options().dtype(bf16 ? at::kBFloat16 : at::kFloat));
    auto norms = at::empty({images, hidden}, x.options()), nx = at::empty_like(norms);
    gelu_grn_forward(h.data_ptr<float>(), bf16 ? nullptr : out.data_ptr<float>(),
                     bf16 ? reinterpret_cast<uint16_t*>(out.data_ptr()) : nullptr, images, pixels, hidden,
                     g_.data_ptr<float>(), beta_.data_ptr<float>(), norms.data_ptr<float>(), nx.data_ptr<float>());
    auto y = at::empty({count, channels}, x.options());
    matmul(out, w2_op.t(), has(b2) ? b2.contiguous() : at::Tensor(), y);
    ctx->save_for_backward({rows, w1_op, h, out, w2_op, g_, norms, nx});
    ctx->saved_data["bf16"] = bf16;
    ctx->saved_data["has_b2"] = has(b2);
    return y.view(x.sizes());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto s = ctx->get_saved_variables();
    const auto &rows = s[0], &w1 = s[1], &h = s[2], &out = s[3], &w2 = s[4], &gamma = s[5], &norms = s[6], &nx = s[7];
    const bool bf16 = ctx->saved_data["bf16"].toBool();
    const auto count = rows.size(0), channels = w1.size(1), hidden = w1.size(0), images = norms.size(0);
    auto dy32 = grads[0].reshape({count, channels}).contiguous();
    auto dy = operand(dy32, bf16);
    auto d_out = at::empty({count, hidden}, dy32.options());
    matmul(dy, w2, {}, d_out);
    at::Tensor dw2, db2;
    if (ctx->needs_input_grad(5)) {
      dw2 = at::empty({channels, hidden}, dy32.options());
      matmul(dy.t(), out, {}, dw2);
    }
    if (ctx->saved_data["has_b2"].toBool() && ctx->needs_input_grad(6)) db2 = dy32.sum(0);
    auto dh = at::empty({count, hidden}, dy32.options().dtype(bf16 ? at::kBFloat16 : at::kFloat));
    auto db1 = at::empty({hidden}, dy32.options()), dgamma = at::empty_like(gamma), dbeta = at::empty_like(gamma);
    gelu_grn_backward(h.data_ptr<float>(), d_out.data_ptr<float>(), images, count / std::max<int64_t>(1, images),
                      hidden, gamma.data_ptr<float>(), norms.data_ptr<float>(), nx.data_ptr<float>(),
                      bf16 ? nullptr : dh.data_ptr<float>(),
                      bf16 ? reinterpret_cast<uint16_t*>(dh.data_ptr()) : nullptr, db1.data_ptr<float>(),
                      dgamma.data_ptr<float>(), dbeta.data_ptr<float>());
    at::Tensor dx, dw1;
    if (ctx->needs_input_grad(0)) {
      dx = at::empty({count, channels}, dy32.options());
      matmul(dh, w1, {}, dx);
      dx = dx.view(grads[0].sizes());
    }
    if (ctx->needs_input_grad(1)) {
      dw1 = at::empty({hidden, channels}, dy32.options());
      matmul(dh.t(), rows, {}, dw1);
    }
    return {dx, dw1, db1, dgamma, dbeta, dw2, db2, at::Tensor()};
  }
};

// ---- Batch-normalized branches, summed -----------------------------------------------------------

// The Dilated Reparam Block's sum over branches of training-mode batch norms, in one pass forward
// (scaled_sum) and one reduction plus one pass per branch backward, in place of a batch norm (two
// passes each way) and an add per branch. The batch statistics come in as constants (means, rstds:
// K x C); the backward pass is the batch norm's whole gradient, through the statistics too.
struct BatchNormSumFunction : torch::autograd::Function<BatchNormSumFunction> {
  // The lists go in as at::TensorList: LibTorch's custom functions track the tensors of a
  // TensorList argument, not of a std::vector.
  static at::Tensor forward(AutogradContext* ctx, at::TensorList ys, at::TensorList weights, at::TensorList biases,
                            const at::Tensor& means, const at::Tensor& rstds) {
    const auto count = static_cast<int64_t>(ys.size()), channels = ys[0].size(1);
    auto w = at::stack(weights), scales = (w * rstds).contiguous();
    auto shift = (at::stack(biases) - means * scales).sum(0).contiguous();
    std::vector<const float*> inputs;
    for (const auto& y : ys) inputs.push_back(y.data_ptr<float>());
    auto out = at::empty_like(ys[0], at::MemoryFormat::ChannelsLast);
    scaled_sum(inputs.data(), scales.data_ptr<float>(), count, shift.data_ptr<float>(), ys[0].numel() / channels,
               channels, out.data_ptr<float>());
    variable_list saved(ys.begin(), ys.end());
    saved.insert(saved.end(), {w, means, rstds});
    ctx->save_for_backward(saved);
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto count = static_cast<int64_t>(saved.size()) - 3;
    const auto &w = saved[count], &means = saved[count + 1], &rstds = saved[count + 2];
    const auto channels = w.size(1), rows = saved[0].numel() / channels;
    auto dout = grads[0].contiguous(at::MemoryFormat::ChannelsLast);
    variable_list dys(count), dws(count), dbs(count);
    auto dots = at::empty({channels}, dout.options()), sums = at::empty({channels}, dout.options());
    // The output gradient's sums are every branch's bias gradient: taken with the first branch's dots.
    const auto n = static_cast<double>(rows);
    at::Tensor mean_dout;
    for (int64_t k = 0; k < count; ++k) {
      const auto& y = saved[k];
      channel_dot_and_sum(dout.data_ptr<float>(), y.data_ptr<float>(), rows, channels, dots.data_ptr<float>(),
                          k == 0 ? sums.data_ptr<float>() : nullptr);
      if (k == 0) mean_dout = sums / n;
      // With xhat = (y - mean) rstd: k = mean(dout xhat); dy = a (dout - mean(dout) - xhat k), a = w rstd.
      auto rstd = rstds[k], mean = means[k], a = w[k] * rstd;
      auto mean_dout_xhat = rstd * (dots / n - mean * mean_dout);
      auto y_coef = (-a * rstd * mean_dout_xhat).contiguous();
      auto shift = (-a * mean_dout + a * rstd * mean_dout_xhat * mean).contiguous();
      auto a_c = a.contiguous();
      dys[k] = at::empty_like(y, at::MemoryFormat::ChannelsLast);
      scale_add(dout.data_ptr<float>(), a_c.data_ptr<float>(), y.data_ptr<float>(), y_coef.data_ptr<float>(),
                shift.data_ptr<float>(), rows, channels, dys[k].data_ptr<float>());
      dws[k] = mean_dout_xhat * n;
      dbs[k] = sums;
    }
    variable_list out(dys);
    out.insert(out.end(), dws.begin(), dws.end());
    out.insert(out.end(), dbs.begin(), dbs.end());
    out.insert(out.end(), {at::Tensor(), at::Tensor()});
    return out;
  }
};

// ---- Depthwise convolution ------------------------------------------------------------------------

int64_t same_padding(int64_t kernel, int64_t dilation) {
  return dilation * (kernel - 1) / 2;
}

// The stride-1 "same" depthwise convolution on channels-last tensors. oneDNN 2.7 runs some dilated
// depthwise convs with more than 4 pixels of padding and a reach beyond the map on a reference
// kernel in NHWC (S's last stage, 768 channels on 7 x 7, kernel 7 dilation 2: 36 ms against 1 ms;
// docs/performance.md, "Training path"); with the input padded beforehand it stays on the JIT
// kernel. The same sums either way; a padded copy costs more than it saves below 5 pixels.
at::Tensor same_depthwise_conv(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                               int64_t dilation) {
  const auto k = weight.size(2), pad = same_padding(k, dilation);
  if (dilation > 1 && pad > 4 && dilation * (k - 1) + 1 > std::min(x.size(2), x.size(3))) {
    auto padded = at::empty({x.size(0), x.size(1), x.size(2) + 2 * pad, x.size(3) + 2 * pad}, x.options(),
                            at::MemoryFormat::ChannelsLast)
                      .zero_();
    padded.narrow(2, pad, x.size(2)).narrow(3, pad, x.size(3)).copy_(x);
    const int64_t no_padding = 0;
    return at::conv2d(padded, weight, bias, 1, no_padding, dilation, x.size(1));
  }
  return at::conv2d(x, weight, bias, 1, pad, dilation, x.size(1));
}

struct DepthwiseConvFunction : torch::autograd::Function<DepthwiseConvFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                            int64_t dilation) {
    auto input = x.contiguous(at::MemoryFormat::ChannelsLast);
    ctx->save_for_backward({input, weight});
    ctx->saved_data["dilation"] = dilation;
    ctx->saved_data["has_bias"] = has(bias);
    return same_depthwise_conv(input, weight, has(bias) ? bias : at::Tensor(), dilation);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1];
    const auto dilation = ctx->saved_data["dilation"].toInt();
    const bool has_bias = ctx->saved_data["has_bias"].toBool();
    const auto n = x.size(0), c = x.size(1), h = x.size(2), width = x.size(3), k = w.size(2);
    auto dy = grads[0].contiguous(at::MemoryFormat::ChannelsLast);
    at::Tensor dx, dw, db;
    if (ctx->needs_input_grad(0)) dx = same_depthwise_conv(dy, w.flip({2, 3}), {}, dilation);
    if (ctx->needs_input_grad(1) || (has_bias && ctx->needs_input_grad(2))) {
      auto taps = at::empty({k * k, c}, x.options());
      if (has_bias) db = at::empty({c}, x.options());
      depthwise_weight_grad(x.data_ptr<float>(), dy.data_ptr<float>(), n, h, width, c, k, dilation,
                            taps.data_ptr<float>(), has_bias ? db.data_ptr<float>() : nullptr);
      dw = taps.t().reshape({c, 1, k, k}).contiguous();
    }
    return {dx, dw, db, at::Tensor()};
  }
};

}  // namespace

FastTrainingOps::FastTrainingOps(Precision precision) : precision_(precision) {
  check_precision_supported(precision);
}

at::Tensor FastTrainingOps::depthwise_conv(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                                           int64_t dilation) {
  const auto k = weight.size(2);
  if (!is_cpu_float(x) || !is_cpu_float(weight) || !is_cpu_float(bias) || k % 2 == 0)
    return at::conv2d(x, weight, bias, 1, same_padding(k, dilation), dilation, x.size(1));
  return DepthwiseConvFunction::apply(x, weight, bias_or_empty(bias, weight), dilation);
}

at::Tensor FastTrainingOps::linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  if (!is_cpu_float(x) || !is_cpu_float(weight) || !is_cpu_float(bias) || x.numel() == 0)
    return at::linear(x, weight, bias);
  return LinearFunction::apply(x, weight, bias_or_empty(bias, weight), precision_ == Precision::BFloat16);
}

at::Tensor FastTrainingOps::layer_norm_channels(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                                                double eps) {
  if (!is_cpu_float(x) || !is_cpu_float(weight) || !is_cpu_float(bias) || x.dim() != 4 || x.numel() == 0)
    return channels_first_layer_norm(x, weight, bias, eps);
  return LayerNormFunction::apply(x, weight, bias, eps);
}

at::Tensor FastTrainingOps::gelu(const at::Tensor& x) {
  if (!is_cpu_float(x) || x.numel() == 0) return at::gelu(x);
  return GeluFunction::apply(x);
}

at::Tensor FastTrainingOps::channel_mlp(const at::Tensor& x, const at::Tensor& w1, const at::Tensor& b1,
                                        const at::Tensor& gamma, const at::Tensor& beta, const at::Tensor& w2,
                                        const at::Tensor& b2) {
  const bool fusable = x.dim() == 4 && x.numel() > 0 && b1.defined() && x.size(3) == w1.size(1);
  if (!fusable || !is_cpu_float(x) || !is_cpu_float(w1) || !is_cpu_float(b1) || !is_cpu_float(gamma) ||
      !is_cpu_float(beta) || !is_cpu_float(w2) || !is_cpu_float(b2))
    return TrainingOps::channel_mlp(x, w1, b1, gamma, beta, w2, b2);
  return ChannelMlpFunction::apply(x, w1, b1, gamma, beta, w2, bias_or_empty(b2, w2),
                                   precision_ == Precision::BFloat16);
}

namespace {

// Whether batch_norm_sum can run fused: training-mode batch norms with weights and without
// synchronized statistics, on same-sized float32 CPU maps.
bool fusable_batch_norms(const std::vector<at::Tensor>& branches, const std::vector<BatchNorm2dImpl*>& norms) {
  if (branches.empty() || branches.size() != norms.size() || branches[0].dim() != 4) return false;
  if (branches[0].numel() / std::max<int64_t>(1, branches[0].size(1)) < 2) return false;
  for (size_t i = 0; i < branches.size(); ++i) {
    const auto* bn = norms[i];
    if (!is_cpu_float(branches[i]) || branches[i].sizes() != branches[0].sizes() || !bn->is_training() ||
        bn->stats_reducer || !bn->options.affine())
      return false;
  }
  return true;
}

}  // namespace

at::Tensor FastTrainingOps::batch_norm_sum(const std::vector<at::Tensor>& branches,
                                           const std::vector<BatchNorm2dImpl*>& norms) {
  if (!fusable_batch_norms(branches, norms)) return TrainingOps::batch_norm_sum(branches, norms);
  const auto count = static_cast<int64_t>(branches.size()), channels = branches[0].size(1);
  const auto rows = branches[0].numel() / channels;
  std::vector<at::Tensor> ys, weights, biases;
  auto means = at::empty({count, channels}, branches[0].options()), vars = at::empty_like(means);
  auto rstds = at::empty_like(means);
  for (const auto& branch : branches) ys.push_back(branch.contiguous(at::MemoryFormat::ChannelsLast));
  {
    // Batch statistics as constants (the function's backward covers their gradient), and the
    // running statistics updated by the module's own bookkeeping.
    torch::NoGradGuard no_grad;
    for (int64_t k = 0; k < count; ++k) {
      auto* bn = norms[k];
      channel_mean_var(ys[k].data_ptr<float>(), rows, channels, means[k].data_ptr<float>(), vars[k].data_ptr<float>());
      bn->track_batch_statistics(means[k], vars[k], static_cast<double>(rows));
      rstds[k].copy_((vars[k] + bn->options.eps()).rsqrt());
      weights.push_back(bn->weight);
      biases.push_back(bn->bias);
    }
  }
  return BatchNormSumFunction::apply(at::TensorList(ys), at::TensorList(weights), at::TensorList(biases), means, rstds);
}

at::Tensor FastTrainingOps::grn(const at::Tensor& x, const at::Tensor& gamma, const at::Tensor& beta) {
  if (!is_cpu_float(x) || !is_cpu_float(gamma) || !is_cpu_float(beta) || x.dim() != 4 || x.numel() == 0)
    return models::grn(x, gamma, beta);
  return GrnFunction::apply(x, gamma, beta);
}

}  // namespace unirep::models
