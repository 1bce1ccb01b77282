#pragma once
// Plain results returned by the task objects: no tensors, no library types.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace unirep {

struct LabelScore {
  std::string label;
  int index = 0;    // the class index in the model's label list
  float score = 0;  // probability: softmax, or sigmoid for multi-label audio models
};

// A stretch of a recording whose sliding windows share their best label (audio classifiers).
struct AudioSegment {
  double start_s = 0, end_s = 0;
  std::string label;
  float score = 0;  // the highest window score within the segment
};

// A float array with its shape, row-major (C order).
struct FloatArray {
  std::vector<int64_t> shape;
  std::vector<float> values;

  size_t size() const { return values.size(); }
};

}  // namespace unirep
