#pragma once
// What the recipes of labelled file folders share (images, videos, point clouds): choosing a split
// to evaluate, and mapping a data set's classes onto a model's.
#include "modalities/image/image_file_list.h"

#include <cstdint>
#include <string>
#include <vector>

namespace unirep::sdk {

// The items to evaluate: "test" falls back to validation, then train, when the layout lacks it;
// "train" and "all" (a CSV) are the training list. Throws naming `data` when the split is empty.
const std::vector<modalities::ImageItem>& evaluation_split(const modalities::ImageFileList& list,
                                                           const std::string& split, const std::string& data);

// index in `data_labels` -> index in `model_labels`; throws naming `data` when a class is unknown.
std::vector<int64_t> map_labels_by_name(const std::vector<std::string>& data_labels,
                                        const std::vector<std::string>& model_labels, const std::string& data);

}  // namespace unirep::sdk
