#pragma once
// How a loaded model runs: shared by every task object.
#include <string>

namespace unirep {

struct RuntimeOptions {
  // Intra-op CPU threads of each call (0: all cores). Applied on the calling thread for the
  // duration of the call, so an app serving requests from 8 threads can give each call 1 thread.
  int threads = 0;
  // "cpu". Other devices ("cuda", "cuda:1") are refused with StatusCode::kUnsupported when this
  // build's LibTorch has no CUDA (Debian's libtorch-dev has none).
  std::string device = "cpu";
  // Inputs per forward pass where a call makes several (audio windows, video views).
  int batch_size = 8;
  // "fp32", or "bf16": bfloat16 matrix products with float32 sums, about 1.7x faster on CPUs that
  // multiply bfloat16 natively (AVX512-BF16, AMX), refused with StatusCode::kUnsupported elsewhere
  // (docs/performance.md, "bf16").
  std::string precision = "fp32";
};

}  // namespace unirep
