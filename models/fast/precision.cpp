#include "models/fast/precision.h"

#include <dnnl.hpp>

#include <stdexcept>

namespace unirep::models {

const char* precision_name(Precision precision) {
  return precision == Precision::BFloat16 ? "bf16" : "fp32";
}

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::Float32;
  if (name == "bf16") return Precision::BFloat16;
  throw std::invalid_argument("precision must be fp32 or bf16, got '" + name + "'");
}

bool cpu_has_bf16() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
  return (isa & bf16) == bf16;
}

void check_precision_supported(Precision precision) {
  if (precision == Precision::BFloat16 && !cpu_has_bf16())
    throw std::invalid_argument(
        "bf16 needs a CPU with AVX512-BF16 or AMX, and this one has neither (it would run slower than float32); "
        "use fp32");
}

}  // namespace unirep::models
