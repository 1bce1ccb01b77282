#include "models/fast/sgemm_rate.h"

#include <ATen/ATen.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <vector>

namespace unirep::models {
namespace {

template <class F>
double median_seconds(int runs, F&& f) {
  f();  // warm-up: page faults, JIT, BLAS buffers
  std::vector<double> s;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(s.begin(), s.end());
  return s[s.size() / 2];
}

}  // namespace

SgemmRate measure_sgemm_rate(int64_t n, int runs) {
  if (n < 1 || runs < 1) throw std::invalid_argument("measure_sgemm_rate: size and runs must be positive");
  auto a = at::randn({n, n}), b = at::randn({n, n}), c = at::empty({n, n});
  const double flops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
  SgemmRate rate;
  rate.libtorch_gflops = flops / median_seconds(runs, [&]() { at::mm_out(c, a, b); }) / 1e9;
  const float* pa = a.data_ptr<float>();
  const float* pb = b.data_ptr<float>();
  float* pc = c.data_ptr<float>();
  rate.onednn_gflops =
      flops /
      median_seconds(runs,
                     [&]() {
                       if (dnnl_sgemm('N', 'N', n, n, n, 1.0f, pa, n, pb, n, 0.0f, pc, n) != dnnl_success)
                         throw std::runtime_error("dnnl_sgemm failed");
                     }) /
      1e9;
  return rate;
}

}  // namespace unirep::models
