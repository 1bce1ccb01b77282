#pragma once
// Results are checked before anything is written or printed: weights that overflow or an input far
// outside the trained range give NaN, and NaN never passes as a result (docs/reliability.md, "No
// silent poison").
#include <ATen/ATen.h>

#include <stdexcept>
#include <string>

namespace unirep::cli {

inline void require_finite_output(const at::Tensor& t, const std::string& what) {
  const auto bad = (~at::isfinite(t)).sum().item<int64_t>();
  if (bad > 0)
    throw std::runtime_error(
        what + ": the model gives " + std::to_string(bad) +
        " NaN or infinite values (weights that overflow, or an input far outside their range); nothing written");
}

}  // namespace unirep::cli
