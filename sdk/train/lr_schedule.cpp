#include "sdk/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace unirep::sdk {

double LrSchedule::at(int64_t step) const {
  if (step < warmup_steps) return warmup_lr + (base_lr - warmup_lr) * static_cast<double>(step) / warmup_steps;
  const int64_t decay_steps = std::max<int64_t>(1, total_steps - warmup_steps);
  const double t = std::min(1.0, static_cast<double>(step - warmup_steps) / decay_steps);
  return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + std::cos(M_PI * t));
}

}  // namespace unirep::sdk
