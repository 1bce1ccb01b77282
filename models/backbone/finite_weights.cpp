// Refusing weights that hold NaN or infinite values at load (docs/reliability.md): a single such
// value spreads through every layer after it, so a model that loaded one would answer NaN for
// every input while looking healthy.
#include "models/io/format_error.h"
#include "models/backbone/state_dict.h"

#include <ATen/ATen.h>

#include <cmath>
#include <sstream>
#include <vector>

namespace unirep::models {
namespace {

std::string describe_non_finite(const io::NamedTensor& nt) {
  const auto bad = ~at::isfinite(nt.tensor);
  const auto count = bad.sum().item<int64_t>();
  const auto first = bad.reshape({-1}).nonzero()[0].item<int64_t>();
  std::ostringstream s;
  s << "tensor '" << nt.name << "' holds " << count
    << (count == 1 ? " NaN or infinite value" : " NaN or infinite values") << " (the first, ";
  const double value = nt.tensor.reshape({-1})[first].item<double>();
  if (std::isnan(value))
    s << "nan";  // not "-nan", whatever its sign bit
  else
    s << value;
  if (nt.tensor.dim() == 0) return s.str() + "); weights must be finite";
  s << ", at index [";
  // The flat index as a multi-index, so it can be found in the tensor (e.g. [3, 0, 1, 2]).
  std::vector<int64_t> index(static_cast<size_t>(nt.tensor.dim()));
  int64_t rest = first;
  for (int64_t d = nt.tensor.dim() - 1; d >= 0; --d) {
    index[static_cast<size_t>(d)] = rest % nt.tensor.size(d);
    rest /= nt.tensor.size(d);
  }
  for (size_t d = 0; d < index.size(); ++d) s << (d ? ", " : "") << index[d];
  s << "]); weights must be finite";
  return s.str();
}

}  // namespace

void check_finite(const io::NamedTensors& tensors, const std::string& source) {
  for (const auto& nt : tensors) {
    if (!nt.tensor.defined() || !nt.tensor.is_floating_point() || nt.tensor.numel() == 0) continue;
    if (!at::isfinite(nt.tensor).all().item<bool>()) throw io::FormatError(source, describe_non_finite(nt));
  }
}

}  // namespace unirep::models
