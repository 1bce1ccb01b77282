#pragma once
// The number format the fast paths compute in (docs/performance.md, "bf16").
//
// Float32 everywhere, or bfloat16 operands for the GEMMs (and, at inference, the activations between
// them) with float32 sums, float32 weights kept as the master copy in training, and float32 for the
// residual stream, norms and reductions. bfloat16 has float32's range and 8 bits of mantissa: it
// pays only where the CPU multiplies it natively (AVX512-BF16, AMX); elsewhere it is refused.
#include <cstdint>
#include <string>

namespace unirep::models {

enum class Precision { Float32, BFloat16 };

// "fp32" or "bf16", the spelling of every --precision flag and option.
const char* precision_name(Precision precision);
// The inverse of precision_name; throws std::invalid_argument naming the accepted values.
Precision parse_precision(const std::string& name);

// Whether oneDNN runs bfloat16 GEMMs natively on this CPU (AVX512-BF16 or AMX).
bool cpu_has_bf16();
// Throws std::invalid_argument for BFloat16 on a CPU without native bfloat16, where it would run
// slower than float32: the caller learns it instead of waiting for it.
void check_precision_supported(Precision precision);

// bfloat16 values as stored: the upper half of a float32, rounded to nearest even.
inline float bf16_to_float(uint16_t v) {
  const uint32_t bits = static_cast<uint32_t>(v) << 16;
  float f;
  __builtin_memcpy(&f, &bits, sizeof f);
  return f;
}
inline uint16_t float_to_bf16(float f) {
  uint32_t bits;
  __builtin_memcpy(&bits, &f, sizeof bits);
  const uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
  // A NaN stays a (quiet) NaN: rounding could carry its mantissa into the sign bit.
  return (bits & 0x7fffffffu) > 0x7f800000u ? static_cast<uint16_t>(0x7fc0u) : static_cast<uint16_t>(rounded);
}

}  // namespace unirep::models
