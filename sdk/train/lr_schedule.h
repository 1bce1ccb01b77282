#pragma once
// Learning rate per optimizer step: linear warm-up from warmup_lr to the base rate, then cosine
// decay to min_lr at the last step (the official recipes' schedule, evaluated per step).
#include <cstdint>

namespace unirep::sdk {

struct LrSchedule {
  double base_lr = 1e-3;
  double min_lr = 1e-6;
  double warmup_lr = 0.0;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;

  double at(int64_t step) const;
};

}  // namespace unirep::sdk
