#pragma once
// Synchronized BatchNorm (`--sync-bn`): in training mode the batch mean and variance are computed
// over the union of all ranks' batches, and their gradients are summed across ranks in backward,
// so W processes at batch B normalize (and learn) like one process at batch W*B.
#include "sdk/train/communicator.h"

#include <torch/nn/module.h>

namespace unirep::sdk {

// Makes every models::BatchNorm2d under `module` synchronized over `comm` (which must outlive the
// module's training). Returns how many BatchNorms were converted.
int convert_sync_batchnorm(torch::nn::Module& module, Communicator& comm);

}  // namespace unirep::sdk
