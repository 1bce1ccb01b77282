#pragma once
// Which files make a labelled image dataset, in one of three layouts:
//  * ImageNet's (timm's ImageFolder): DIR/train/<class>/*, with DIR/val/<class>/* (or validation/)
//    and DIR/test/<class>/* when present; classes are train/'s subfolders, sorted by name, which is
//    the class-index order of the official checkpoints;
//  * a folder of class folders, DIR/<class>/*: all of it is "train";
//  * a CSV of `path,label` rows (an optional header; paths relative to the CSV's folder unless
//    absolute): all of it is "train", classes sorted by name.
// Image files are recognized by extension (jpg, jpeg, png, bmp, webp, tif, tiff, gif, ppm, pgm,
// pnm, qoi); other files in the folders are ignored, files within a class sorted by name.
#include <cstdint>
#include <string>
#include <vector>

namespace unirep::modalities {

struct ImageItem {
  std::string path;
  int64_t label = 0;
};

struct ImageFileList {
  std::vector<std::string> labels;
  std::vector<ImageItem> train, validation, test;
};

// Throws std::runtime_error naming the path and the problem (missing folder, no images, a class in
// val/ or test/ that train/ lacks, a CSV row without a label, a missing file).
ImageFileList list_image_dataset(const std::string& path);

// The same layouts for files with other extensions (lower case, with the dot), e.g. videos.
ImageFileList list_labelled_files(const std::string& path, const std::vector<std::string>& extensions);

}  // namespace unirep::modalities
