#include "op_profile.h"

#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <map>

namespace unirep::cli {
namespace {

namespace profiler = torch::autograd::profiler;

// Adds each range's self time to `self_us` from one thread's push/pop events (nested, in order).
void add_self_times(const std::vector<profiler::LegacyEvent>& events, std::map<std::string, double>& self_us) {
  struct Open {
    const profiler::LegacyEvent* push;
    double children_us;
  };
  std::vector<Open> open;
  for (const auto& e : events) {
    if (e.kind() == profiler::EventKind::PushRange) {
      open.push_back({&e, 0.0});
    } else if (e.kind() == profiler::EventKind::PopRange && !open.empty()) {
      const auto range = open.back();
      open.pop_back();
      const double span = range.push->cpuElapsedUs(e);
      self_us[range.push->name()] += span - range.children_us;
      if (!open.empty()) open.back().children_us += span;
    }
  }
}

}  // namespace

std::vector<std::pair<double, std::string>> self_time_by_op(const std::function<void()>& work, int runs) {
  profiler::enableProfilerLegacy(torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU));
  for (int i = 0; i < runs; ++i) work();
  const auto lists = profiler::disableProfilerLegacy();
  std::map<std::string, double> self_us;
  for (const auto& events : lists) add_self_times(events, self_us);
  std::vector<std::pair<double, std::string>> rows;
  for (const auto& [name, us] : self_us) rows.emplace_back(us / 1000.0 / runs, name);
  std::sort(rows.rbegin(), rows.rend());
  return rows;
}

}  // namespace unirep::cli
