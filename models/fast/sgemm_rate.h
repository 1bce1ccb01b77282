#pragma once
// The machine's single-precision GEMM rate, the yardstick of docs/performance.md ("S reaches at least 75% of
// the measured SGEMM rate"): square N x N x N products, median of `runs` after one warm-up, on the
// calling thread's LibTorch thread count.
#include <cstdint>

namespace unirep::models {

struct SgemmRate {
  double onednn_gflops = 0;    // oneDNN's dnnl_sgemm (the GEMM family the fast path's matmuls use)
  double libtorch_gflops = 0;  // at::mm, i.e. the BLAS LibTorch links (OpenBLAS here)
};

SgemmRate measure_sgemm_rate(int64_t n, int runs);

}  // namespace unirep::models
