// The fast inference path: a deploy-structure UniRepLKNet as a fixed plan of oneDNN primitives and
// fused kernels over NHWC buffers (the design is in models/fast/fast_unireplknet.h).
#include "models/fast/fast_unireplknet.h"

#include "models/fast/fast_kernels.h"

#include <ATen/ATen.h>
#include <dnnl.hpp>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

namespace unirep::models {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;
constexpr auto kBF16 = memory::data_type::bf16;

// ---- Weights, copied out of the LibTorch module once --------------------------------------------

struct ConvWeights {
  at::Tensor weight, bias;  // O x I/groups x K x K, O
  int64_t in = 0, out = 0, kernel = 0, stride = 1, padding = 0, groups = 1;
};

struct NormWeights {
  at::Tensor weight, bias;
  float eps = 1e-6f;
};

struct BlockWeights {
  int64_t dim = 0, hidden = 0, se_hidden = 0;
  bool has_dwconv = false;
  ConvWeights dwconv;
  at::Tensor dw_kkc;  // the depthwise weights as kernel x kernel x channels, for depthwise_conv
  at::Tensor se_down_w, se_down_b, se_up_w, se_up_b;  // se_hidden x dim, dim x se_hidden (row-major)
  at::Tensor fc1_w, fc1_b, grn_gamma, fc2_w, fc2_b;   // Linear weights are out x in
};

struct Weights {
  BackboneConfig config;
  Precision precision = Precision::Float32;  // of the blocks' Linears and the activations between them
  ConvWeights stem1, stem2, down[3];
  NormWeights stem_norm1, stem_norm2, down_norm[3];
  std::vector<BlockWeights> stages[4];
  bool has_head_norm = false, has_head = false;
  NormWeights head_norm;
  at::Tensor head_w, head_b;  // head_w is released once packed (see PackedWeights)
  int64_t head_classes = 0;
};

at::Tensor copy_of(const at::Tensor& t) {
  return t.detach().to(at::kFloat).contiguous().clone();
}

ConvWeights conv_weights(torch::nn::Conv2dImpl& conv) {
  const auto& o = conv.options;
  const auto k = o.kernel_size()->at(0);
  if (o.kernel_size()->at(1) != k || o.stride()->at(0) != o.stride()->at(1) || o.dilation()->at(0) != 1 ||
      o.dilation()->at(1) != 1)
    throw std::invalid_argument(
        "fast path: only square, undilated convolutions are expected in a deployed UniRepLKNet");
  const auto* pad = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
  if (pad == nullptr || (*pad)->at(0) != (*pad)->at(1))
    throw std::invalid_argument("fast path: expected symmetric explicit conv padding");
  ConvWeights c;
  c.weight = copy_of(conv.weight);
  c.bias = conv.bias.defined() ? copy_of(conv.bias) : at::zeros({o.out_channels()});
  c.in = o.in_channels();
  c.out = o.out_channels();
  c.kernel = k;
  c.stride = o.stride()->at(0);
  c.padding = (*pad)->at(0);
  c.groups = o.groups();
  return c;
}

NormWeights norm_weights(ChannelsFirstLayerNormImpl& ln) {
  return {copy_of(ln.weight), copy_of(ln.bias), static_cast<float>(ln.eps)};
}

// Parameters by their official names ("stages.0.1.pwconv1.1.weight", ...).
const at::Tensor& param(const std::unordered_map<std::string, at::Tensor>& params, const std::string& name) {
  auto it = params.find(name);
  if (it == params.end()) throw std::invalid_argument("fast path: the model has no parameter '" + name + "'");
  return it->second;
}

Weights copy_weights(UniRepLKNetImpl& model) {
  if (!model.deployed())
    throw std::invalid_argument(
        "fast path: the model is in the train structure; call reparameterize() first (deploy structure only)");
  Weights w;
  w.config = model.config();
  std::unordered_map<std::string, at::Tensor> params;
  for (const auto& p : model.named_parameters()) params.emplace(p.key(), p.value());
  std::unordered_map<std::string, std::shared_ptr<torch::nn::Module>> modules;
  for (const auto& m : model.named_modules()) modules.emplace(m.key(), m.value());
  auto conv = [&](const std::string& name) -> torch::nn::Conv2dImpl& {
    auto it = modules.find(name);
    auto* c = it == modules.end() ? nullptr : it->second->as<torch::nn::Conv2dImpl>();
    if (c == nullptr) throw std::invalid_argument("fast path: the model has no convolution '" + name + "'");
    return *c;
  };
  auto norm = [&](const std::string& name) -> ChannelsFirstLayerNormImpl& {
    auto it = modules.find(name);
    auto* n = it == modules.end() ? nullptr : it->second->as<ChannelsFirstLayerNormImpl>();
    if (n == nullptr) throw std::invalid_argument("fast path: the model has no LayerNorm '" + name + "'");
    return *n;
  };
  w.stem1 = conv_weights(conv("downsample_layers.0.0"));
  w.stem_norm1 = norm_weights(norm("downsample_layers.0.1"));
  w.stem2 = conv_weights(conv("downsample_layers.0.3"));
  w.stem_norm2 = norm_weights(norm("downsample_layers.0.4"));
  for (int i = 1; i < 4; ++i) {
    const auto prefix = "downsample_layers." + std::to_string(i);
    w.down[i - 1] = conv_weights(conv(prefix + ".0"));
    w.down_norm[i - 1] = norm_weights(norm(prefix + ".1"));
  }
  for (int s = 0; s < 4; ++s) {
    for (int64_t j = 0; j < w.config.depths[s]; ++j) {
      const auto prefix = "stages." + std::to_string(s) + "." + std::to_string(j) + ".";
      BlockWeights b;
      b.dim = w.config.dims[s];
      const auto k = w.config.kernel_sizes[s][j];
      if (k != 0) {
        b.has_dwconv = true;
        b.dwconv = conv_weights(conv(k >= 7 ? prefix + "dwconv.lk_origin" : prefix + "dwconv"));
        if (b.dwconv.groups != b.dim || b.dwconv.stride != 1 || b.dwconv.padding != k / 2)
          throw std::invalid_argument("fast path: " + prefix + "dwconv is not a same-size depthwise convolution");
        b.dw_kkc = b.dwconv.weight.reshape({b.dim, k * k}).t().contiguous();
      }
      b.se_down_w = copy_of(param(params, prefix + "se.down.weight")).flatten(1);
      b.se_down_b = copy_of(param(params, prefix + "se.down.bias"));
      b.se_up_w = copy_of(param(params, prefix + "se.up.weight")).flatten(1);
      b.se_up_b = copy_of(param(params, prefix + "se.up.bias"));
      b.se_hidden = b.se_down_w.size(0);
      b.fc1_w = copy_of(param(params, prefix + "pwconv1.1.weight"));
      b.fc1_b = copy_of(param(params, prefix + "pwconv1.1.bias"));
      b.hidden = b.fc1_w.size(0);
      b.grn_gamma = copy_of(param(params, prefix + "act.1.gamma")).reshape({-1});
      b.fc2_w = copy_of(param(params, prefix + "pwconv2.0.weight"));
      b.fc2_b = copy_of(param(params, prefix + "pwconv2.0.bias"));
      w.stages[s].push_back(std::move(b));
    }
  }
  if (model.norm) {
    w.has_head_norm = true;
    w.head_norm = {copy_of(model.norm->weight), copy_of(model.norm->bias),
                   static_cast<float>(model.norm->options.eps())};
  }
  if (model.head) {
    w.has_head = true;
    w.head_w = copy_of(model.head->weight);
    w.head_b = copy_of(model.head->bias);
    w.head_classes = w.head_w.size(0);
  }
  return w;
}

// ---- Running a primitive without per-call allocation ------------------------------------------------

// A primitive with its arguments bound once. The C++ wrapper's execute() builds a std::vector of
// arguments from the map on every call; this keeps the C argument array instead.
class BoundPrimitive {
 public:
  BoundPrimitive(dnnl::primitive prim, std::unordered_map<int, memory> args)
      : prim_(std::move(prim)), memories_(std::move(args)) {
    for (auto& [key, mem] : memories_) c_args_.push_back({key, mem.get()});
  }
  // Binds `mem` (a memory of this primitive's arguments) to a new buffer before the next run.
  memory& argument(int key) { return memories_.at(key); }
  void run(dnnl::stream& stream) const {
    dnnl::error::wrap_c_api(
        dnnl_primitive_execute(prim_.get(), stream.get(), static_cast<int>(c_args_.size()), c_args_.data()),
        "could not execute a oneDNN primitive");
    stream.wait();
  }

 private:
  dnnl::primitive prim_;
  std::unordered_map<int, memory> memories_;
  std::vector<dnnl_exec_arg_t> c_args_;
};

// ---- Weights in the layouts the primitives chose -------------------------------------------------

// Each conv and Linear weight is held once: in the layout the last plan's primitive chose. The plain
// copy is released after the first plan; a later plan that wants another layout (another input
// shape can make oneDNN choose one) reorders from the packed copy, as oneDNN reorders between any
// two layouts. Plans keep the buffers they were built with alive.
class PackedWeights {
 public:
  memory get(at::Tensor& plain, const memory::desc& plain_md, const memory::desc& want, const dnnl::engine& engine,
             dnnl::stream& stream, std::vector<at::Tensor>& keep_alive) {
    auto it = entries_.find(&plain);
    if (it != entries_.end() && it->second.mem.get_desc() == want) {
      keep_alive.push_back(it->second.storage);
      return it->second.mem;
    }
    memory src = it != entries_.end() ? it->second.mem : memory(plain_md, engine, plain.data_ptr());
    auto storage = at::empty({static_cast<int64_t>((want.get_size() + 3) / 4)});
    memory dst(want, engine, storage.data_ptr());
    dnnl::reorder(src, dst).execute(stream, src, dst);
    stream.wait();
    entries_[&plain] = {dst, storage};
    keep_alive.push_back(storage);
    return dst;
  }

  // Frees the plain copies of everything packed so far.
  void release_plain() {
    for (auto& entry : entries_) entry.first->reset();
  }

  int64_t bytes() const {
    int64_t total = 0;
    for (const auto& entry : entries_) total += static_cast<int64_t>(entry.second.storage.nbytes());
    return total;
  }

 private:
  struct Entry {
    memory mem;
    at::Tensor storage;
  };
  std::unordered_map<at::Tensor*, Entry> entries_;
};

// ---- The plan for one input shape ----------------------------------------------------------------

int64_t conv_out(int64_t size, const ConvWeights& c) {
  return (size + 2 * c.padding - c.kernel) / c.stride + 1;
}

struct Plan {
  explicit Plan(const dnnl::engine& engine) : stream(engine) {}
  dnnl::stream stream;  // the plan's own: plans run concurrently on different threads
  bool busy = false;    // leased to a running call
  int64_t n = 0, height = 0, width = 0;
  int threads = 0;  // OpenMP threads the kernel scratch was sized for
  at::Tensor input, x, t, h, scratch, dnnl_scratch, pooled;
  at::Tensor t16, h16;             // bf16 plans: the blocks' GEMM operands (the SE's output, the hidden 4C)
  std::vector<at::Tensor> packed;  // reordered weights, kept alive for the primitives
  struct Step {
    const char* what;  // the kind of work, for the profile
    std::function<void()> run;
  };
  std::vector<Step> steps;                                          // the forward, in order
  std::vector<std::tuple<int64_t, int64_t, int64_t>> stage_shapes;  // C, h, w after each stage
  std::vector<size_t> stage_ends;                                   // steps index after each stage's last step
  std::unique_ptr<BoundPrimitive> input_reorder;  // the caller's N x C x H x W (handle set per call) -> `input`
  int64_t head_channels = 0;
  std::unique_ptr<BoundPrimitive> head;  // pooled (+ norm) -> logits (destination set per call)
};

// Builds the plan for one input shape. It packs the conv and Linear weights it binds (releasing
// their plain copies, see PackedWeights), so it takes the weights non-const.
class PlanBuilder {
 public:
  PlanBuilder(Weights& w, PackedWeights& packed, const dnnl::engine& engine, Plan& plan)
      : w_(w), packed_(packed), engine_(engine), stream_(plan.stream), plan_(plan) {}

  void build() {
    auto& p = plan_;
    const auto& cfg = w_.config;
    const int64_t n = p.n;
    int64_t hh = conv_out(p.height, w_.stem1), ww = conv_out(p.width, w_.stem1);
    // Buffer sizes: the largest activation each role holds anywhere in the network.
    int64_t x_size = n * hh * ww * w_.stem1.out, h_size = 1, scratch = 1;
    {
      int64_t sh = conv_out(hh, w_.stem2), sw = conv_out(ww, w_.stem2);
      for (int s = 0; s < 4; ++s) {
        if (s > 0) sh = conv_out(sh, w_.down[s - 1]), sw = conv_out(sw, w_.down[s - 1]);
        x_size = std::max(x_size, n * sh * sw * cfg.dims[s]);
        for (const auto& b : w_.stages[s]) {
          h_size = std::max(h_size, n * sh * sw * b.hidden);
          scratch = std::max(scratch, reduction_scratch_floats(b.hidden) + n * b.hidden);
          scratch = std::max(scratch, reduction_scratch_floats(b.dim) + n * (2 * b.dim + b.se_hidden));
        }
      }
      scratch = std::max(scratch, reduction_scratch_floats(cfg.dims[3]) + n * cfg.dims[3]);
    }
    p.threads = omp_get_max_threads();
    p.input = at::empty({n * p.height * p.width * cfg.in_chans});
    p.x = at::empty({x_size});
    p.t = at::empty({x_size});
    if (w_.precision == Precision::Float32) p.h = at::empty({h_size});  // bf16 plans use h16
    p.scratch = at::empty({scratch});
    p.pooled = at::empty({n * cfg.dims[3]});
    if (w_.precision == Precision::BFloat16) {
      p.t16 = at::empty({x_size}, at::kBFloat16);
      p.h16 = at::empty({h_size}, at::kBFloat16);
    }

    // Input: the caller's NCHW tensor reordered into NHWC.
    memory::desc user_md({n, cfg.in_chans, p.height, p.width}, kF32, Tag::nchw);
    memory::desc in_md({n, cfg.in_chans, p.height, p.width}, kF32, Tag::nhwc);
    memory user(user_md, engine_, static_cast<void*>(DNNL_MEMORY_NONE)),
        nhwc(in_md, engine_, p.input.data_ptr<float>());
    p.input_reorder = std::make_unique<BoundPrimitive>(
        dnnl::reorder(user, nhwc), std::unordered_map<int, memory>{{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, nhwc}});

    // Stem: conv s2 -> LN -> GELU -> conv s2 -> LN.
    conv("stem conv 3x3 s2", w_.stem1, p.input, p.t, p.height, p.width);
    norm(w_.stem_norm1, p.t, p.x, n * hh * ww, w_.stem1.out);
    gelu(p.x, {n * hh * ww, w_.stem1.out});
    conv("stem conv 3x3 s2", w_.stem2, p.x, p.t, hh, ww);
    hh = conv_out(hh, w_.stem2), ww = conv_out(ww, w_.stem2);
    norm(w_.stem_norm2, p.t, p.x, n * hh * ww, w_.stem2.out);
    for (int s = 0; s < 4; ++s) {
      if (s > 0) {
        conv("downsample conv 3x3 s2", w_.down[s - 1], p.x, p.t, hh, ww);
        hh = conv_out(hh, w_.down[s - 1]), ww = conv_out(ww, w_.down[s - 1]);
        norm(w_.down_norm[s - 1], p.t, p.x, n * hh * ww, cfg.dims[s]);
      }
      for (auto& b : w_.stages[s]) block(b, hh, ww);
      p.stage_shapes.emplace_back(cfg.dims[s], hh, ww);
      p.stage_ends.push_back(p.steps.size());
    }
    head(hh * ww);
    p.dnnl_scratch = at::empty({std::max<int64_t>(1, (scratchpad_bytes_ + 3) / 4)});
    for (auto& m : scratchpad_users_) m.set_data_handle(p.dnnl_scratch.data_ptr());
  }

 private:
  dnnl::primitive_attr attr(const dnnl::post_ops& ops = {}) {
    dnnl::primitive_attr a;
    a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    a.set_post_ops(ops);
    return a;
  }

  // A scratchpad memory for a primitive; all share one buffer (steps run one at a time).
  memory scratchpad(const memory::desc& md) {
    scratchpad_bytes_ = std::max<int64_t>(scratchpad_bytes_, static_cast<int64_t>(md.get_size()));
    scratchpad_users_.emplace_back(md, engine_, static_cast<void*>(DNNL_MEMORY_NONE));
    return scratchpad_users_.back();
  }

  // Weights in the layout the primitive chose.
  memory packed(const memory::desc& user_md, at::Tensor& user, const memory::desc& want) {
    return packed_.get(user, user_md, want, engine_, stream_, plan_.packed);
  }

  void conv(const char* what, ConvWeights& c, const at::Tensor& src, const at::Tensor& dst, int64_t h, int64_t w) {
    add_conv(what, c, conv_desc(c, h, w), src, dst, h, w);
  }

  // The primitive description of `c` on an h x w NHWC input, weights in the layout oneDNN prefers.
  dnnl::convolution_forward::primitive_desc conv_desc(const ConvWeights& c, int64_t h, int64_t w) {
    const int64_t n = plan_.n, ho = conv_out(h, c), wo = conv_out(w, c);
    memory::desc src_md({n, c.in, h, w}, kF32, Tag::nhwc), dst_md({n, c.out, ho, wo}, kF32, Tag::nhwc);
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md,
                                      memory::desc(conv_weight_dims(c), kF32, Tag::any),
                                      memory::desc({c.out}, kF32, Tag::x), dst_md, {c.stride, c.stride},
                                      {c.padding, c.padding}, {c.padding, c.padding});
    return dnnl::convolution_forward::primitive_desc(d, attr(), engine_);
  }

  static memory::dims conv_weight_dims(const ConvWeights& c) {
    return c.groups > 1 ? memory::dims{c.groups, c.out / c.groups, c.in / c.groups, c.kernel, c.kernel}
                        : memory::dims{c.out, c.in, c.kernel, c.kernel};
  }

  void add_conv(const char* what, ConvWeights& c, const dnnl::convolution_forward::primitive_desc& pd,
                const at::Tensor& src, const at::Tensor& dst, int64_t h, int64_t w) {
    memory::desc user_w(conv_weight_dims(c), kF32, c.groups > 1 ? Tag::goihw : Tag::oihw);
    auto weights = packed(user_w, c.weight, pd.weights_desc());
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(pd.src_desc(), engine_, src.data_ptr())},
                                         {DNNL_ARG_WEIGHTS, weights},
                                         {DNNL_ARG_BIAS, memory(pd.bias_desc(), engine_, c.bias.data_ptr())},
                                         {DNNL_ARG_DST, memory(pd.dst_desc(), engine_, dst.data_ptr())},
                                         {DNNL_ARG_SCRATCHPAD, scratchpad(pd.scratchpad_desc())}};
    add_step(what, std::make_unique<BoundPrimitive>(dnnl::convolution_forward(pd), std::move(args)));
  }

  // dst (rows x out) = src (rows x in) . W^T + b, then `ops` (W is a Linear's out x in weight); the
  // weights are packed in src's type, src and dst are of the tensors' types (float32 or bfloat16).
  void linear(const char* what, at::Tensor& weight, int64_t out, int64_t in, const at::Tensor& bias,
              const at::Tensor& src, const at::Tensor& dst, int64_t rows, const dnnl::post_ops& ops) {
    add_step(what, linear_primitive(weight, out, in, bias, src.data_ptr(), dst.data_ptr(), rows, ops, dnnl_type(src),
                                    dnnl_type(dst)));
  }

  static memory::data_type dnnl_type(const at::Tensor& t) { return t.scalar_type() == at::kBFloat16 ? kBF16 : kF32; }

  // dst (rows x out) = src (rows x in) . W^T + b, then `ops`, as a bound primitive; a null `dst`
  // is bound per call (the head writes into the caller's output tensor).
  std::unique_ptr<BoundPrimitive> linear_primitive(at::Tensor& weight, int64_t out, int64_t in, const at::Tensor& bias,
                                                   void* src, void* dst, int64_t rows, const dnnl::post_ops& ops,
                                                   memory::data_type src_type = kF32,
                                                   memory::data_type dst_type = kF32) {
    memory::desc src_md({rows, in}, src_type, Tag::ab), dst_md({rows, out}, dst_type, Tag::ab),
        bias_md({1, out}, kF32, Tag::ab);
    memory::desc user_w({in, out}, kF32, Tag::ba), any_w({in, out}, src_type, Tag::any);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, any_w, bias_md, dst_md), attr(ops), engine_);
    auto weights = packed(user_w, weight, pd.weights_desc());
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(src_md, engine_, src)},
                                         {DNNL_ARG_WEIGHTS, weights},
                                         {DNNL_ARG_BIAS, memory(bias_md, engine_, bias.data_ptr())},
                                         {DNNL_ARG_DST, memory(dst_md, engine_, dst)},
                                         {DNNL_ARG_SCRATCHPAD, scratchpad(pd.scratchpad_desc())}};
    return std::make_unique<BoundPrimitive>(dnnl::matmul(pd), std::move(args));
  }

  void gelu(const at::Tensor& x, const memory::dims& dims) {
    memory::desc md(dims, kF32, Tag::ab);
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_gelu_erf, md, 0.0f,
                                  0.0f);
    dnnl::eltwise_forward::primitive_desc pd(d, attr(), engine_);
    memory m(md, engine_, x.data_ptr());
    add_step("stem GELU",
             std::make_unique<BoundPrimitive>(
                 dnnl::eltwise_forward(pd),
                 std::unordered_map<int, memory>{
                     {DNNL_ARG_SRC, m}, {DNNL_ARG_DST, m}, {DNNL_ARG_SCRATCHPAD, scratchpad(pd.scratchpad_desc())}}));
  }

  void add_step(const char* what, std::unique_ptr<BoundPrimitive> bound) {
    plan_.steps.push_back({what, [bound = std::shared_ptr<BoundPrimitive>(std::move(bound)), &stream = stream_]() {
                             bound->run(stream);
                           }});
  }

  // oneDNN's depthwise convolution when it has a direct kernel for this shape on this CPU (AVX-512:
  // always here), else ours: oneDNN 2.6 on AVX2 runs 13 x 13 NHWC depthwise convs as im2col + GEMM.
  void depthwise(BlockWeights& b, const at::Tensor& src, const at::Tensor& dst, int64_t h, int64_t w) {
    auto& c = b.dwconv;
    const auto pd = conv_desc(c, h, w);
    const std::string impl = pd.impl_info_str();
    if (impl.find("gemm") == std::string::npos && impl.find("ref") == std::string::npos)
      return add_conv("depthwise conv", c, pd, src, dst, h, w);
    plan_.steps.push_back({"depthwise conv (own kernel)",
                           [in = src.data_ptr<float>(), out = dst.data_ptr<float>(), n = plan_.n, h, w,
                            channels = b.dim, weight = b.dw_kkc.data_ptr<float>(), bias = c.bias.data_ptr<float>(),
                            k = c.kernel]() { depthwise_conv(in, out, n, h, w, channels, weight, bias, k); }});
  }

  void norm(const NormWeights& nw, const at::Tensor& src, const at::Tensor& dst, int64_t rows, int64_t channels) {
    plan_.steps.push_back(
        {"LayerNorm (stem, downsample)",
         [in = src.data_ptr<float>(), out = dst.data_ptr<float>(), rows, channels, w = nw.weight.data_ptr<float>(),
          b = nw.bias.data_ptr<float>(), eps = nw.eps]() { layer_norm_channels(in, out, rows, channels, w, b, eps); }});
  }

  void block(BlockWeights& b, int64_t hh, int64_t ww) {
    auto& p = plan_;
    const int64_t n = p.n, pixels = hh * ww, rows = n * pixels;
    if (b.has_dwconv) {
      depthwise(b, p.x, p.t, hh, ww);
    } else {
      p.steps.push_back({"identity depthwise (copy)",
                         [dst = p.t.data_ptr<float>(), src = p.x.data_ptr<float>(), count = rows * b.dim]() {
                           std::memcpy(dst, src, static_cast<size_t>(count) * sizeof(float));
                         }});
    }
    if (w_.precision == Precision::BFloat16) return block_tail_bf16(b, pixels);
    float* scratch = p.scratch.data_ptr<float>();
    p.steps.push_back({"SE", [x = p.t.data_ptr<float>(), n, pixels, b = &b, scratch]() {
                         squeeze_excite(x, n, pixels, b->dim, b->se_hidden, b->se_down_w.data_ptr<float>(),
                                        b->se_down_b.data_ptr<float>(), b->se_up_w.data_ptr<float>(),
                                        b->se_up_b.data_ptr<float>(), scratch);
                       }});
    linear("Linear C->4C + GELU", b.fc1_w, b.hidden, b.dim, b.fc1_b, p.t, p.h, rows, gelu_post_op());
    p.steps.push_back({"GRN", [h = p.h.data_ptr<float>(), n, pixels, b = &b, scratch]() {
                         global_response_norm(h, n, pixels, b->hidden, b->grn_gamma.data_ptr<float>(), scratch);
                       }});
    linear("Linear 4C->C + residual", b.fc2_w, b.dim, b.hidden, b.fc2_b, p.h, p.x, rows, residual_post_op());
  }

  // The block after its depthwise conv in a bf16 plan: the SE writes its output as bfloat16, the
  // GEMMs take bfloat16 operands (float32 sums), GRN runs on the bfloat16 hidden activations, and the
  // second GEMM adds into the float32 residual stream (docs/performance.md, "bf16").
  void block_tail_bf16(BlockWeights& b, int64_t pixels) {
    auto& p = plan_;
    const int64_t n = p.n, rows = n * pixels;
    float* scratch = p.scratch.data_ptr<float>();
    p.steps.push_back({"SE", [x = p.t.data_ptr<float>(), out = static_cast<uint16_t*>(p.t16.data_ptr()), n, pixels,
                              b = &b, scratch]() {
                         squeeze_excite_to_bf16(x, out, n, pixels, b->dim, b->se_hidden, b->se_down_w.data_ptr<float>(),
                                                b->se_down_b.data_ptr<float>(), b->se_up_w.data_ptr<float>(),
                                                b->se_up_b.data_ptr<float>(), scratch);
                       }});
    linear("Linear C->4C + GELU", b.fc1_w, b.hidden, b.dim, b.fc1_b, p.t16, p.h16, rows, gelu_post_op());
    p.steps.push_back({"GRN", [h = static_cast<uint16_t*>(p.h16.data_ptr()), n, pixels, b = &b, scratch]() {
                         global_response_norm_bf16(h, n, pixels, b->hidden, b->grn_gamma.data_ptr<float>(), scratch);
                       }});
    linear("Linear 4C->C + residual", b.fc2_w, b.dim, b.hidden, b.fc2_b, p.h16, p.x, rows, residual_post_op());
  }

  static dnnl::post_ops gelu_post_op() {
    dnnl::post_ops act;
    act.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
    return act;
  }

  static dnnl::post_ops residual_post_op() {
    dnnl::post_ops residual;
    residual.append_sum(1.0f);  // dst = h . W2^T + b2 + dst: the residual stream x is updated in place
    return residual;
  }

  void head(int64_t pixels) {
    auto& p = plan_;
    const int64_t n = p.n, c = w_.config.dims[3];
    float* scratch = p.scratch.data_ptr<float>();
    const bool has_norm = w_.has_head_norm;
    // Pooled vector (mean over H, W, then the head LayerNorm if any) into p.pooled.
    p.steps.push_back({"pool + head LayerNorm", [x = p.x.data_ptr<float>(), pooled = p.pooled.data_ptr<float>(), n,
                                                 pixels, c, scratch, has_norm, w = &w_]() {
                         channel_means(x, n, pixels, c, pooled, scratch);
                         if (has_norm)
                           layer_norm_channels(pooled, pooled, n, c, w->head_norm.weight.data_ptr<float>(),
                                               w->head_norm.bias.data_ptr<float>(), w->head_norm.eps);
                       }});
    if (!w_.has_head) return;
    p.head_channels = w_.head_classes;
    p.head = linear_primitive(w_.head_w, w_.head_classes, c, w_.head_b, p.pooled.data_ptr(), nullptr, n, {});
  }

  Weights& w_;
  PackedWeights& packed_;
  const dnnl::engine& engine_;
  dnnl::stream& stream_;
  Plan& plan_;
  int64_t scratchpad_bytes_ = 0;
  std::vector<memory> scratchpad_users_;
};

}  // namespace

struct FastUniRepLKNet::Impl {
  using Key = std::tuple<int64_t, int64_t, int64_t>;  // images, height, width

  const dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  std::atomic<int64_t> micro_batch{1};
  std::atomic<bool> profiling{false};

  // The plan cache, filled by the (const) forward calls: the first call with an input shape builds
  // its plan, and the first plan packs the conv and Linear weights into oneDNN's layouts, releasing
  // their plain copies in `weights` (see PackedWeights). Filling it changes no output, so it is
  // mutable; `mutex` guards plans, packed and the lease flags, and is never held while a plan runs.
  // The other fields of `weights` (config, norms, biases) never change.
  mutable Weights weights;
  mutable PackedWeights packed;
  // Plans per shape: one per call running at the same time with that shape (a call leases one).
  mutable std::map<Key, std::vector<std::unique_ptr<Plan>>> plans;
  mutable std::mutex mutex;
  // Milliseconds per kind of step, added to by forward calls while profiling (a diagnostic).
  mutable std::mutex profile_mutex;
  mutable std::map<std::string, double> profile;

  // A plan leased for the length of one chunk.
  class Lease {
   public:
    Lease(const Impl& impl, Plan& plan) : impl_(impl), plan_(plan) {}
    ~Lease() {
      std::lock_guard<std::mutex> lock(impl_.mutex);
      plan_.busy = false;
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Plan& plan() { return plan_; }

   private:
    const Impl& impl_;
    Plan& plan_;
  };

  void check_input(const at::Tensor& x) const {
    const auto& cfg = weights.config;
    if (!x.device().is_cpu()) throw std::invalid_argument("fast path: the input must be a CPU tensor");
    if (x.dim() != 4 || x.size(1) != cfg.in_chans || x.size(0) < 1 || x.size(2) < 1 || x.size(3) < 1) {
      std::ostringstream ss;
      ss << "expected input N x " << cfg.in_chans << " x H x W, got " << x.sizes();
      throw std::invalid_argument(ss.str());
    }
  }

  // Runs `body(plan, first image)` over the batch in chunks of `micro_batch` images (all at once
  // when 0), each chunk's input bound to a leased plan for its size.
  template <class Body>
  void for_each_chunk(const at::Tensor& x, Body&& body) const {
    const int64_t n = x.size(0), per_image = x.size(1) * x.size(2) * x.size(3);
    const int64_t mb = micro_batch.load();
    const int64_t chunk = mb > 0 ? std::min(mb, n) : n;
    for (int64_t first = 0; first < n; first += chunk) {
      Lease lease(*this, acquire({std::min(chunk, n - first), x.size(2), x.size(3)}));
      auto& p = lease.plan();
      p.input_reorder->argument(DNNL_ARG_FROM).set_data_handle(x.data_ptr<float>() + first * per_image);
      body(p, first);
    }
  }

  // An idle plan for `key` sized for the calling thread's OpenMP thread count, built if needed.
  Plan& acquire(const Key& key) const {
    std::lock_guard<std::mutex> lock(mutex);
    const int threads = omp_get_max_threads();
    auto& pool = plans[key];
    for (auto& plan : pool) {
      if (plan->busy) continue;
      if (plan->threads < threads) plan = build(key);  // its reduction scratch is too small
      plan->busy = true;
      return *plan;
    }
    pool.push_back(build(key));
    pool.back()->busy = true;
    return *pool.back();
  }

  std::unique_ptr<Plan> build(const Key& key) const {
    auto plan = std::make_unique<Plan>(engine);
    std::tie(plan->n, plan->height, plan->width) = key;
    PlanBuilder(weights, packed, engine, *plan).build();
    packed.release_plain();
    return plan;
  }

  // Runs steps [begin, end) of the plan; begin 0 first reads the bound input.
  void run(Plan& p, size_t end, size_t begin = 0) const {
    if (begin == 0) p.input_reorder->run(p.stream);
    if (!profiling.load()) {
      for (size_t i = begin; i < end; ++i) p.steps[i].run();
      return;
    }
    for (size_t i = begin; i < end; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      p.steps[i].run();
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      std::lock_guard<std::mutex> lock(profile_mutex);
      profile[p.steps[i].what] += ms;
    }
  }
};

FastUniRepLKNet::FastUniRepLKNet(UniRepLKNetImpl& model, Precision precision) : impl_(std::make_unique<Impl>()) {
  check_precision_supported(precision);
  impl_->weights = copy_weights(model);
  impl_->weights.precision = precision;
}
FastUniRepLKNet::~FastUniRepLKNet() = default;
FastUniRepLKNet::FastUniRepLKNet(FastUniRepLKNet&&) noexcept = default;
FastUniRepLKNet& FastUniRepLKNet::operator=(FastUniRepLKNet&&) noexcept = default;

const BackboneConfig& FastUniRepLKNet::config() const {
  return impl_->weights.config;
}

Precision FastUniRepLKNet::precision() const {
  return impl_->weights.precision;
}

FastUniRepLKNet::MemoryUse FastUniRepLKNet::memory_use() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  MemoryUse use;
  use.weight_bytes = impl_->packed.bytes();
  for (const auto& [key, pool] : impl_->plans)
    for (const auto& plan : pool)
      for (const auto* t : {&plan->input, &plan->x, &plan->t, &plan->h, &plan->scratch, &plan->dnnl_scratch,
                            &plan->pooled, &plan->t16, &plan->h16})
        if (t->defined()) use.workspace_bytes += static_cast<int64_t>(t->nbytes());
  return use;
}

void FastUniRepLKNet::set_profiling(bool on) {
  std::lock_guard<std::mutex> lock(impl_->profile_mutex);
  impl_->profiling = on;
  impl_->profile.clear();
}

std::map<std::string, double> FastUniRepLKNet::profile_ms() const {
  std::lock_guard<std::mutex> lock(impl_->profile_mutex);
  return impl_->profile;
}

void FastUniRepLKNet::set_micro_batch(int64_t images) {
  if (images < 0) throw std::invalid_argument("micro batch must be >= 0 (0: the whole batch at once)");
  impl_->micro_batch = images;
}

at::Tensor FastUniRepLKNet::forward(const at::Tensor& input, OutputMode mode) const {
  const Impl& impl = *impl_;
  if (mode == OutputMode::Logits && !impl.weights.has_head)
    throw std::invalid_argument("this model has no classification head (num_classes is 0 or it is a dense-task model)");
  auto x = input.to(at::kFloat).contiguous();
  impl.check_input(x);
  const int64_t n = x.size(0),
                width = mode == OutputMode::Pooled ? impl.weights.config.dims[3] : impl.weights.head_classes;
  auto out = at::empty({n, width});
  impl.for_each_chunk(x, [&](Plan& p, int64_t first) {
    impl.run(p, p.steps.size());
    if (mode == OutputMode::Pooled) {
      std::memcpy(out.data_ptr<float>() + first * width, p.pooled.data_ptr<float>(),
                  static_cast<size_t>(p.n * width) * sizeof(float));
      return;
    }
    p.head->argument(DNNL_ARG_DST).set_data_handle(out.data_ptr<float>() + first * width);
    p.head->run(p.stream);
  });
  return out;
}

std::vector<at::Tensor> FastUniRepLKNet::forward_stages(const at::Tensor& input) const {
  const Impl& impl = *impl_;
  auto x = input.to(at::kFloat).contiguous();
  impl.check_input(x);
  std::vector<at::Tensor> outs;
  impl.for_each_chunk(x, [&](Plan& p, int64_t first) {
    size_t done = 0;
    for (int s = 0; s < 4; ++s) {
      impl.run(p, p.stage_ends[s], done);
      done = p.stage_ends[s];
      const auto [c, h, w] = p.stage_shapes[s];
      if (outs.size() <= static_cast<size_t>(s))
        outs.push_back(
            at::empty({x.size(0), c, h, w}, at::TensorOptions().memory_format(at::MemoryFormat::ChannelsLast)));
      // Channels-last memory holds each image's h x w x c block contiguously.
      std::memcpy(outs[s].data_ptr<float>() + first * c * h * w, p.x.data_ptr<float>(),
                  static_cast<size_t>(p.n * c * h * w) * sizeof(float));
    }
  });
  return outs;
}

}  // namespace unirep::models
