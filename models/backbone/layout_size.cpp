#include "models/backbone/layout_size.h"

#include "complexity_count.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace unirep::models {
namespace {

constexpr const char* kLimitVariable = "UNIREP_MAX_LAYOUT_GIB";

// Output size of a 3x3 stride-2 padding-1 convolution (the stem and the downsamples).
int64_t down2(int64_t n) {
  return (n + 2 - 3) / 2 + 1;
}

std::string gib(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g GiB", bytes / double(int64_t{1} << 30));
  return text;
}

}  // namespace

int64_t largest_activation_elements(const BackboneConfig& config, int64_t height, int64_t width) {
  const auto& dims = config.dims;
  auto largest = config.in_chans * height * width;
  int64_t h = down2(height), w = down2(width);
  largest = std::max(largest, dims[0] / 2 * h * w);  // the stem's first conv
  for (size_t s = 0; s < 4; ++s) {
    h = down2(h), w = down2(w);
    largest = std::max(largest, dims[s] * h * w);  // the stem's second conv or the downsample
    if (config.depths[s] > 0) largest = std::max(largest, 4 * dims[s] * h * w);  // pwconv1
  }
  return largest;
}

LayoutSize estimate_layout_size(const BackboneConfig& config, int64_t height, int64_t width) {
  LayoutSize size;
  size.parameters =
      count_complexity_unchecked(config, /*deploy=*/false, height, width, config.layer_scale_init_value).parameters;
  size.largest_activation = largest_activation_elements(config, height, width);
  return size;
}

double max_layout_bytes() {
  const char* value = std::getenv(kLimitVariable);
  if (value == nullptr || *value == '\0') return kDefaultMaxLayoutGiB * double(int64_t{1} << 30);
  char* end = nullptr;
  errno = 0;
  const double gib_limit = std::strtod(value, &end);
  if (errno != 0 || end == value || *end != '\0' || !(gib_limit > 0) || !std::isfinite(gib_limit))
    throw std::invalid_argument(std::string(kLimitVariable) + " must be a positive number of GiB, not '" +
                                std::string(value).substr(0, 64) + "'");
  return gib_limit * double(int64_t{1} << 30);
}

void check_layout_size(const BackboneConfig& config, const std::string& source) {
  const double limit = max_layout_bytes();
  const auto size = estimate_layout_size(config);
  const std::string over = ", more than the " + gib(limit) + " limit (" + kLimitVariable + " sets it)";
  const double parameter_bytes = 4.0 * double(size.parameters);
  if (parameter_bytes > limit)
    throw std::invalid_argument(source + ": layout asks for " + std::to_string(size.parameters) + " parameters (" +
                                gib(parameter_bytes) + " as float32)" + over);
  const double activation_bytes = 4.0 * double(size.largest_activation);
  if (activation_bytes > limit)
    throw std::invalid_argument(source + ": layout needs a " + gib(activation_bytes) + " activation for one " +
                                std::to_string(kNominalInputSize) + " x " + std::to_string(kNominalInputSize) +
                                " input" + over);
}

}  // namespace unirep::models
