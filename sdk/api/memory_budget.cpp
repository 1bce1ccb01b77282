#include "memory_budget.h"

#include <unirep/api/error.h>
#include "modalities/input/input_file.h"

#include <algorithm>
#include <sys/resource.h>
#include <sys/sysinfo.h>

namespace unirep::api_detail {

uint64_t memory_budget_bytes() {
  uint64_t budget = UINT64_MAX;
  struct sysinfo info {};
  if (sysinfo(&info) == 0)
    budget = (static_cast<uint64_t>(info.totalram) + static_cast<uint64_t>(info.totalswap)) * info.mem_unit;
  struct rlimit limit {};
  if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    budget = std::min<uint64_t>(budget, static_cast<uint64_t>(limit.rlim_cur));
  return budget;
}

void check_memory_budget(double bytes, const std::string& what) {
  const uint64_t budget = memory_budget_bytes();
  if (bytes <= static_cast<double>(budget)) return;
  const auto needed = bytes >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(bytes);
  throw Error(StatusCode::kOutOfMemory, what + " needs at least " + modalities::describe_bytes(needed) +
                                            ", more than the " + modalities::describe_bytes(budget) +
                                            " of memory this process can get");
}

}  // namespace unirep::api_detail
