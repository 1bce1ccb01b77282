#pragma once
// Fashion-MNIST (Debian's dataset-fashion-mnist: /usr/share/datasets/fashion-mnist, the four IDX
// files gzipped) written as an image-folder dataset in ImageNet's layout: OUT/train/<class>/*.png
// and OUT/test/<class>/*.png, 28 x 28 grey PNGs, class folders named so that their sorted order is
// the official label order (0_t-shirt_top, 1_trouser, ...). The IDX headers are checked against
// the files' sizes before anything is read into memory.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace unirep::data_makers {

struct FashionMnistOptions {
  std::string source_dir = "/usr/share/datasets/fashion-mnist";
  std::string out_dir;
  int train_per_class = 6000;  // the first N of each class in file order (6000 = all)
  int test_per_class = 1000;   // (1000 = all)
};

const std::vector<std::string>& fashion_mnist_classes();

struct FashionMnistSummary {
  size_t train = 0, test = 0;
  bool reused = false;  // out_dir already held a complete copy with the same counts
};

// Built in a hidden staging folder beside OUT and renamed onto OUT when complete (staging_folder.h),
// so a failed or stopped run leaves neither. Throws std::runtime_error naming the file and the
// problem.
FashionMnistSummary write_fashion_mnist(const FashionMnistOptions& options,
                                        const std::function<void(size_t, size_t)>& progress = {});

}  // namespace unirep::data_makers
