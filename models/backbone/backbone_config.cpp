#include "models/backbone/backbone_config.h"
#include "models/backbone/layout_size.h"

#include "config_file.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace unirep::models {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Kernel tables of the official builders (docs/reference.md, Variants): stage 1 small kernels,
// stages 2 and 4 large (13), stage 3 a repeating pattern.
std::vector<std::vector<int64_t>> kernels_for(const std::vector<int64_t>& depths,
                                              const std::vector<int64_t>& stage3_pattern) {
  std::vector<std::vector<int64_t>> k(4);
  k[0].assign(depths[0], 3);
  k[1].assign(depths[1], 13);
  for (int64_t i = 0; i < depths[2]; ++i) k[2].push_back(stage3_pattern[i % stage3_pattern.size()]);
  k[3].assign(depths[3], 13);
  return k;
}

struct Variant {
  const char* name;
  std::vector<int64_t> dims;
  std::vector<int64_t> depths;
  std::vector<int64_t> stage3_pattern;
};

const std::vector<Variant>& variants() {
  static const std::vector<Variant> table = {
      {"a", {40, 80, 160, 320}, {2, 2, 6, 2}, {13}},
      {"f", {48, 96, 192, 384}, {2, 2, 6, 2}, {13}},
      {"p", {64, 128, 256, 512}, {2, 2, 6, 2}, {13}},
      {"n", {80, 160, 320, 640}, {2, 2, 8, 2}, {13}},
      {"t", {80, 160, 320, 640}, {3, 3, 18, 3}, {13, 3}},
      {"s", {96, 192, 384, 768}, {3, 3, 27, 3}, {13, 3, 3}},
      {"b", {128, 256, 512, 1024}, {3, 3, 27, 3}, {13, 3, 3}},
      {"l", {192, 384, 768, 1536}, {3, 3, 27, 3}, {13, 3, 3}},
      {"xl", {256, 512, 1024, 2048}, {3, 3, 27, 3}, {13, 3, 3}},
  };
  return table;
}

bool valid_kernel(int64_t k) {
  return k == 0 || k == 3 || k == 5 || (k >= 7 && k <= 17 && k % 2 == 1);
}

// One JSON integer of field `what` ("'dims'", "'kernel_sizes'[2]"): a float such as 1e9 or 1.5, or
// an integer beyond int64 (which nlohmann would wrap to a negative value), is refused by name.
int64_t json_integer(const nlohmann::json& e, const std::string& what, size_t index, const std::string& source) {
  const std::string where = what + "[" + std::to_string(index) + "]";
  if (e.is_number_unsigned() && e.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
    throw std::invalid_argument(source + ": " + where + " is " + e.dump() + ", far beyond any layout");
  if (!e.is_number_integer())
    throw std::invalid_argument(source + ": " + what + " must hold integers only, got " + e.dump().substr(0, 40) +
                                " at index " + std::to_string(index));
  return e.get<int64_t>();
}

std::vector<int64_t> int_list(const nlohmann::json& j, const std::string& key, const std::string& source) {
  if (!j.contains(key)) throw std::invalid_argument(source + ": missing key '" + key + "'");
  const auto& v = j.at(key);
  if (!v.is_array()) throw std::invalid_argument(source + ": '" + key + "' must be a list of integers");
  std::vector<int64_t> out;
  for (const auto& e : v) out.push_back(json_integer(e, "'" + key + "'", out.size(), source));
  return out;
}

int64_t int_value(const nlohmann::json& j, const std::string& key, int64_t fallback, const std::string& source) {
  if (!j.contains(key)) return fallback;
  const auto& v = j.at(key);
  if (v.is_null()) return 0;
  if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
    throw std::invalid_argument(source + ": '" + key + "' is " + v.dump() + ", far beyond any layout");
  if (!v.is_number_integer())
    throw std::invalid_argument(source + ": '" + key + "' must be an integer, got " + v.dump().substr(0, 40));
  return v.get<int64_t>();
}

std::string over_limit(const std::string& field, int64_t value, int64_t limit, const char* unit) {
  return field + " is " + std::to_string(value) + ", more than the limit of " + std::to_string(limit) + " " + unit;
}

}  // namespace

void BackboneConfig::validate(const std::string& source) const {
  auto fail = [&](const std::string& what) { throw std::invalid_argument(source + ": " + what); };
  if (depths.size() != 4) fail("'depths' must have 4 entries (one per stage), got " + std::to_string(depths.size()));
  if (dims.size() != 4) fail("'dims' must have 4 entries (one per stage), got " + std::to_string(dims.size()));
  if (kernel_sizes.size() != 4)
    fail("'kernel_sizes' must have 4 lists (one per stage), got " + std::to_string(kernel_sizes.size()));
  for (size_t s = 0; s < 4; ++s) {
    const std::string stage = "stage " + std::to_string(s);
    const std::string index = "[" + std::to_string(s) + "]";
    if (depths[s] < 0) fail(stage + ": depth must be non-negative, got " + std::to_string(depths[s]));
    if (depths[s] > kMaxStageDepth) fail(over_limit("'depths'" + index, depths[s], kMaxStageDepth, "blocks per stage"));
    if (dims[s] <= 0) fail(stage + ": dims must be positive, got " + std::to_string(dims[s]));
    if (dims[s] > kMaxChannels) fail(over_limit("'dims'" + index, dims[s], kMaxChannels, "channels"));
    if (static_cast<int64_t>(kernel_sizes[s].size()) != depths[s])
      fail(stage + ": " + std::to_string(kernel_sizes[s].size()) + " kernel sizes for depth " +
           std::to_string(depths[s]) + " ('kernel_sizes'" + index + " needs one per block)");
    for (size_t b = 0; b < kernel_sizes[s].size(); ++b) {
      int64_t k = kernel_sizes[s][b];
      if (!valid_kernel(k))
        fail("'kernel_sizes'" + index + "[" + std::to_string(b) + "]: kernel size " + std::to_string(k) +
             " is not supported (0, 3, 5 or odd 7..17)");
    }
  }
  // The stem's first conv has dims[0]/2 channels and the SE block dims/4: both must stay >= 1.
  if (dims[0] < 2) fail("dims[0] must be at least 2 (the stem halves it)");
  for (size_t s = 0; s < 4; ++s)
    if (depths[s] > 0 && dims[s] < 4)
      fail("stage " + std::to_string(s) + ": dims must be at least 4 (SE block reduces by 4)");
  if (in_chans <= 0) fail("'in_chans' must be positive, got " + std::to_string(in_chans));
  if (in_chans > kMaxChannels) fail(over_limit("'in_chans'", in_chans, kMaxChannels, "channels"));
  if (num_classes < 0) fail("'num_classes' must be non-negative, got " + std::to_string(num_classes));
  if (num_classes > kMaxClasses) fail(over_limit("'num_classes'", num_classes, kMaxClasses, "classes"));
  // Within every per-field limit a layout can still ask for terabytes (4 stages of 1024 blocks at
  // 65536 channels): its total is bounded too (docs/backbone.md, Layout limits).
  check_layout_size(*this, source);
}

std::string BackboneConfig::to_json() const {
  nlohmann::json j;
  j["depths"] = depths;
  j["dims"] = dims;
  j["in_chans"] = in_chans;
  j["num_classes"] = num_classes;
  j["kernel_sizes"] = kernel_sizes;
  if (layer_scale_init_value != 1e-6)  // the official default stays implicit (fixture format)
    j["layer_scale_init_value"] =
        layer_scale_init_value > 0 ? nlohmann::json(layer_scale_init_value) : nlohmann::json(nullptr);
  return j.dump(1);
}

BackboneConfig variant_config(const std::string& name) {
  const std::string key = lower(name);
  for (const auto& v : variants()) {
    if (key == v.name) {
      BackboneConfig c;
      c.dims = v.dims;
      c.depths = v.depths;
      c.kernel_sizes = kernels_for(v.depths, v.stage3_pattern);
      return c;
    }
  }
  std::string known;
  for (const auto& n : variant_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown model variant '" + name + "' (known: " + known + ", or a .json config file)");
}

const std::vector<std::string>& variant_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& v : variants()) n.emplace_back(v.name);
    return n;
  }();
  return names;
}

bool is_variant_name(const std::string& name) {
  const auto& n = variant_names();
  return std::find(n.begin(), n.end(), lower(name)) != n.end();
}

BackboneConfig config_from_json_text(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::invalid_argument(source + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw std::invalid_argument(source + ": a config must be a JSON object");
  BackboneConfig c;
  c.depths = int_list(j, "depths", source);
  c.dims = int_list(j, "dims", source);
  if (!j.contains("kernel_sizes")) throw std::invalid_argument(source + ": missing key 'kernel_sizes'");
  const auto& ks = j.at("kernel_sizes");
  if (!ks.is_array()) throw std::invalid_argument(source + ": 'kernel_sizes' must be a list of lists");
  for (const auto& stage : ks) {
    if (!stage.is_array()) throw std::invalid_argument(source + ": 'kernel_sizes' must be a list of lists");
    std::vector<int64_t> row;
    const std::string field = "'kernel_sizes'[" + std::to_string(c.kernel_sizes.size()) + "]";
    for (const auto& e : stage) row.push_back(json_integer(e, field, row.size(), source));
    c.kernel_sizes.push_back(row);
  }
  c.in_chans = int_value(j, "in_chans", 3, source);
  c.num_classes = int_value(j, "num_classes", 1000, source);
  if (j.contains("layer_scale_init_value")) {
    const auto& v = j.at("layer_scale_init_value");
    if (v.is_null())
      c.layer_scale_init_value = 0;
    else if (v.is_number())
      c.layer_scale_init_value = v.get<double>();
    else
      throw std::invalid_argument(source + ": 'layer_scale_init_value' must be a number or null");
  }
  c.validate(source);
  return c;
}

BackboneConfig load_config_file(const std::string& path) {
  return config_from_json_text(read_config_text(path), path);
}

BackboneConfig resolve_config(const std::string& name_or_path) {
  if (is_variant_name(name_or_path)) return variant_config(name_or_path);
  const bool looks_like_file = name_or_path.find('/') != std::string::npos ||
                               (name_or_path.size() > 5 && name_or_path.substr(name_or_path.size() - 5) == ".json");
  if (looks_like_file) return load_config_file(name_or_path);
  return variant_config(name_or_path);  // throws, listing the known names
}

DilatedBranches dilated_branches(int64_t kernel_size) {
  switch (kernel_size) {
    case 17:
      return {{5, 9, 3, 3, 3}, {1, 2, 4, 5, 7}};
    case 15:
      return {{5, 7, 3, 3, 3}, {1, 2, 3, 5, 7}};
    case 13:
      return {{5, 7, 3, 3, 3}, {1, 2, 3, 4, 5}};
    case 11:
      return {{5, 5, 3, 3, 3}, {1, 2, 3, 4, 5}};
    case 9:
      return {{5, 5, 3, 3}, {1, 2, 3, 4}};
    case 7:
      return {{5, 3, 3}, {1, 2, 3}};
    case 5:
      return {{3, 3}, {1, 2}};
    default:
      throw std::invalid_argument("no dilated branch table for kernel size " + std::to_string(kernel_size));
  }
}

}  // namespace unirep::models
