#pragma once
// The shape of a UniRepLKNet backbone: widths, depths and the kernel size of every block.
//
// Named variants (A, F, P, N, T, S, B, L, XL) mirror the official builders; any other layout comes
// from a JSON file with the keys `depths`, `dims`, `kernel_sizes` (one list per stage, one entry per
// block), `in_chans` and `num_classes`, the format of the reference fixtures' *.config.json
// (docs/testing.md).
#include <cstdint>
#include <string>
#include <vector>

namespace unirep::models {

// What a layout may ask for (docs/backbone.md, Layout limits). validate() checks these before any
// module is built, so a layout file or model metadata cannot make the process allocate without
// bound; every official variant stays far below them.
inline constexpr int64_t kMaxStageDepth = 1024;           // blocks per stage (official: at most 27)
inline constexpr int64_t kMaxChannels = 65536;            // each of dims and in_chans (official: at most 2048)
inline constexpr int64_t kMaxClasses = int64_t{1} << 24;  // num_classes (ImageNet-22K: 21841)
// Float32 parameters, and the largest activation of one nominal 224 x 224 input, may each take at
// most this many bytes (XL with a 22K head: 1.6 GiB of parameters). The environment variable
// UNIREP_MAX_LAYOUT_GIB (a positive number of GiB) raises or lowers it.
inline constexpr double kDefaultMaxLayoutGiB = 4;
inline constexpr int64_t kNominalInputSize = 224;

struct BackboneConfig {
  std::vector<int64_t> depths;                     // blocks per stage, 4 stages
  std::vector<int64_t> dims;                       // channels per stage
  std::vector<std::vector<int64_t>> kernel_sizes;  // per stage, per block: 0 (identity), 3, 5, or odd 7..17
  int64_t in_chans = 3;
  int64_t num_classes = 1000;  // 0: no classification head (pooled features or stage maps only)
  // Initial layer scale (the official constructor's layer_scale_init_value); <= 0 or JSON null: no
  // layer scale (no `gamma`). 1e-6 (official) keeps blocks near identity at first, which suits long
  // training; short from-scratch runs on small data learn far faster without it.
  double layer_scale_init_value = 1e-6;

  // Throws std::invalid_argument with a message naming the first problem found (mismatched
  // lengths, unknown kernel size, non-positive dims, a value over the limits above, a layout whose
  // parameters or activations would exceed the memory limit, ...). `source` prefixes the message.
  void validate(const std::string& source = "config") const;

  // The JSON text of this config, in the fixture format.
  std::string to_json() const;
};

// Official variant by name, case-insensitive ("a", "S", "xl", ...). Throws std::invalid_argument
// listing the known names when `name` is not one of them.
BackboneConfig variant_config(const std::string& name);

// Known variant names, lower case, smallest first.
const std::vector<std::string>& variant_names();

bool is_variant_name(const std::string& name);

// Parses and validates a JSON config; errors (std::invalid_argument) name the source and the field.
BackboneConfig config_from_json_text(const std::string& text, const std::string& source = "config");
// The most bytes a JSON config file may hold (real ones are under 2 KB).
inline constexpr int64_t kMaxConfigFileBytes = int64_t{1} << 20;
// Reads and validates a JSON config file. A path that is not a regular file (a FIFO, a device, a
// directory) or a file over kMaxConfigFileBytes is refused before reading, with an
// io::FormatError naming the path; a FIFO never blocks.
BackboneConfig load_config_file(const std::string& path);

// `name_or_path`: a variant name, or a path to a JSON config file.
BackboneConfig resolve_config(const std::string& name_or_path);

// The dilated branches of a Dilated Reparam Block with large kernel `kernel_size`
// (docs/reference.md, The block): parallel lists of branch kernel sizes and dilations. Throws for
// sizes without a table.
struct DilatedBranches {
  std::vector<int64_t> kernel_sizes;
  std::vector<int64_t> dilations;
};
DilatedBranches dilated_branches(int64_t kernel_size);

}  // namespace unirep::models
