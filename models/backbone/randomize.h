#pragma once
// Gives a freshly built network non-trivial values everywhere a default initialization is trivial:
// BatchNorm statistics and affines, layer scale, GRN gamma/beta, LayerNorm affines. Equivalence
// checks (reparameterization, parity) use it so every part of the block shows in the output, the
// way the reference fixtures were made (docs/testing.md).
#include <torch/nn/module.h>

#include <cstdint>

namespace unirep::models {

void randomize_for_checks(torch::nn::Module& module, uint64_t seed);

}  // namespace unirep::models
