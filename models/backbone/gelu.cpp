#include "models/backbone/gelu.h"

#include <ATen/ATen.h>

#include <ostream>

namespace unirep::models {

torch::Tensor GeluImpl::forward(const torch::Tensor& x) {
  if (is_training() && training_ops) return training_ops->gelu(x);
  return at::gelu(x);
}

void GeluImpl::pretty_print(std::ostream& stream) const {
  stream << "unirep::models::Gelu()";
}

}  // namespace unirep::models
