#include "sdk/train/sampler.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <stdexcept>

namespace unirep::sdk {

std::vector<std::vector<size_t>> epoch_batches(size_t n, size_t batch_size, int64_t epoch, const SamplerOptions& o) {
  if (batch_size == 0) throw std::invalid_argument("batch size must be positive");
  if (o.world_size < 1 || o.rank < 0 || o.rank >= o.world_size) throw std::invalid_argument("bad rank / world size");
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  if (o.shuffle) {
    // std::mt19937_64 and our own Fisher-Yates: std::shuffle's algorithm is implementation-defined.
    std::mt19937_64 rng(o.seed * 1000003ULL + static_cast<uint64_t>(epoch));
    for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  }
  const size_t w = static_cast<size_t>(o.world_size);
  if (o.drop_last) {
    order.resize(n / w * w);
  } else if (n > 0 && n % w) {
    const size_t pad = w - n % w;
    for (size_t i = 0; i < pad; ++i) order.push_back(order[i % n]);
  }
  std::vector<size_t> mine;
  for (size_t i = static_cast<size_t>(o.rank); i < order.size(); i += w) mine.push_back(order[i]);
  std::vector<std::vector<size_t>> batches;
  for (size_t start = 0; start < mine.size(); start += batch_size) {
    const size_t end = std::min(mine.size(), start + batch_size);
    if (end - start < batch_size && o.drop_last) break;
    batches.emplace_back(mine.begin() + start, mine.begin() + end);
  }
  return batches;
}

}  // namespace unirep::sdk
