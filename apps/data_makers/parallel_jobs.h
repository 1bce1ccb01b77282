#pragma once
// Internal to apps/data_makers: the thread pool the keyword and shape generators share. Each item's
// randomness derives from (seed, index), so the data sets do not depend on the thread count.
#include <cstddef>
#include <functional>

namespace unirep::data_makers {

// Runs job(i) once for every i in [0, count) on `threads` threads (0: all cores). The first job
// that throws stops the others from starting new jobs; its exception is rethrown once all threads
// have stopped. `progress(done, count)`, when set, is called after each finished job, one call at a
// time.
void run_jobs(size_t count, int threads, const std::function<void(size_t)>& job,
              const std::function<void(size_t, size_t)>& progress);

}  // namespace unirep::data_makers
