#pragma once
// Activation recomputation per stage (docs/training.md, "Memory for large batches").
//
// A stage run through run_recomputed() keeps none of its activations for the backward pass, only
// its input: the backward pass runs the stage's forward again, with gradients, and back-propagates
// through that. A training step then holds one stage's activations at a time instead of all four
// (less memory for a larger batch) and pays one more forward of the recomputed stages (about a
// third more time per step). The recomputation sees what the first forward saw: the same random
// drop-path masks (the CPU generator's state is replayed) and the same batch-norm statistics (the
// running statistics are put back after it, so they move once per step as without recomputation).
#include <torch/nn/modules/container/sequential.h>

namespace unirep::models {

// stage->forward(x), recomputed in the backward pass; `stage` must outlive the backward pass.
torch::Tensor run_recomputed(torch::nn::SequentialImpl& stage, const torch::Tensor& x);

// Turns recomputation of the four stages on or off in every UniRepLKNet under `root`; returns how
// many backbones it found. It applies in training mode, with gradients enabled.
int set_activation_recomputation(torch::nn::Module& root, bool on);

}  // namespace unirep::models
