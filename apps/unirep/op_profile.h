#pragma once
// Where a LibTorch computation spends its time, by operator (`unirep bench --train-step --profile`):
// LibTorch's own profiler records every operator call and autograd node; each gets its self time
// (its span less the spans of the calls inside it), summed by name.
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace unirep::cli {

// Runs `work` `runs` times under the profiler; returns (ms per run of self time, name), largest first.
std::vector<std::pair<double, std::string>> self_time_by_op(const std::function<void()>& work, int runs);

}  // namespace unirep::cli
