#include "fashion_mnist.h"

#include "staging_folder.h"

#include <cairo.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace unirep::data_makers {
namespace {
namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// A whole gzip file, refusing more than `limit` bytes of content.
std::string gunzip(const std::string& path, size_t limit) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    fail(path, fs::exists(path) ? "cannot open the file" : "no such file (apt-get install dataset-fashion-mnist)");
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > limit) {
      gzclose(f);
      fail(path, "more data than an IDX file of this kind can hold");
    }
  }
  int err = 0;
  const char* msg = gzerror(f, &err);
  const std::string why = err != Z_OK && err != Z_STREAM_END ? msg : "";
  gzclose(f);
  if (n < 0 || !why.empty()) fail(path, "corrupt gzip data (" + why + ")");
  return out;
}

uint32_t be32(const std::string& s, size_t at) {
  return static_cast<uint32_t>(static_cast<unsigned char>(s[at])) << 24 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8 | static_cast<unsigned char>(s[at + 3]);
}

struct Split {
  std::string images, labels;  // raw bytes after the headers
  size_t count = 0;
};

Split read_split(const std::string& dir, const std::string& prefix) {
  const std::string ipath = dir + "/" + prefix + "-images-idx3-ubyte.gz",
                    lpath = dir + "/" + prefix + "-labels-idx1-ubyte.gz";
  const std::string im = gunzip(ipath, size_t{16} + 100000 * 784), lb = gunzip(lpath, size_t{8} + 100000);
  if (im.size() < 16 || be32(im, 0) != 2051) fail(ipath, "not an IDX image file (magic 2051)");
  if (lb.size() < 8 || be32(lb, 0) != 2049) fail(lpath, "not an IDX label file (magic 2049)");
  const uint32_t n = be32(im, 4), rows = be32(im, 8), cols = be32(im, 12);
  if (rows != 28 || cols != 28)
    fail(ipath, "images are " + std::to_string(rows) + " x " + std::to_string(cols) + ", not 28 x 28");
  if (be32(lb, 4) != n)
    fail(lpath, "holds " + std::to_string(be32(lb, 4)) + " labels for " + std::to_string(n) + " images");
  if (im.size() - 16 != static_cast<size_t>(n) * 784)
    fail(ipath, "the header promises " + std::to_string(n) + " images; the data differs");
  if (lb.size() - 8 != n) fail(lpath, "the header promises " + std::to_string(n) + " labels; the data differs");
  Split s;
  s.images = im.substr(16);
  s.labels = lb.substr(8);
  s.count = n;
  for (unsigned char c : s.labels)
    if (c > 9) fail(lpath, "label " + std::to_string(c) + " is not a Fashion-MNIST class (0..9)");
  return s;
}

void write_png(const std::string& path, const unsigned char* pixels) {
  cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 28, 28);
  unsigned char* data = cairo_image_surface_get_data(s);
  const int stride = cairo_image_surface_get_stride(s);
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x) {
      const uint32_t v = pixels[y * 28 + x];
      *reinterpret_cast<uint32_t*>(data + y * stride + x * 4) = v << 16 | v << 8 | v;
    }
  cairo_surface_mark_dirty(s);
  const auto status = cairo_surface_write_to_png(s, path.c_str());
  cairo_surface_destroy(s);
  if (status != CAIRO_STATUS_SUCCESS)
    fail(path, std::string("cannot write the PNG (") + cairo_status_to_string(status) + ")");
}

size_t count_files(const fs::path& dir) {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    n += e.is_regular_file() && e.path().extension() == ".png";
  return n;
}

}  // namespace

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"0_t-shirt_top", "1_trouser", "2_pullover", "3_dress", "4_coat",
                                                 "5_sandal",      "6_shirt",   "7_sneaker",  "8_bag",   "9_ankle_boot"};
  return names;
}

FashionMnistSummary write_fashion_mnist(const FashionMnistOptions& o,
                                        const std::function<void(size_t, size_t)>& progress) {
  if (o.out_dir.empty()) throw std::invalid_argument("fashion-mnist needs an output folder");
  const Split train = read_split(o.source_dir, "train"), test = read_split(o.source_dir, "t10k");
  auto planned = [](const Split& s, int per_class) {
    std::vector<size_t> picked;
    std::vector<int> seen(10, 0);
    for (size_t i = 0; i < s.count; ++i) {
      const int c = static_cast<unsigned char>(s.labels[i]);
      if (seen[c] < per_class) ++seen[c], picked.push_back(i);
    }
    return picked;
  };
  const auto train_idx = planned(train, o.train_per_class), test_idx = planned(test, o.test_per_class);
  FashionMnistSummary summary{train_idx.size(), test_idx.size(), false};
  const fs::path out(o.out_dir);
  std::error_code ec;
  if (fs::exists(out / "train") && fs::exists(out / "test") && count_files(out / "train") == train_idx.size() &&
      count_files(out / "test") == test_idx.size()) {
    summary.reused = true;
    return summary;
  }
  if (fs::exists(out) && !fs::is_empty(out, ec))
    fail(o.out_dir, "exists and holds something else; choose an empty or new folder");
  // Built beside OUT and renamed onto it when complete (staging_folder.h).
  StagingFolder staging(o.out_dir, WhenDestinationHoldsFiles::refuse);
  for (const char* split : {"train", "test"})
    for (const auto& c : fashion_mnist_classes()) fs::create_directories(staging.path() / split / c);
  const size_t total = train_idx.size() + test_idx.size();
  size_t done = 0;
  for (const auto& [split, s, idx] :
       {std::tuple<const char*, const Split&, const std::vector<size_t>&>{"train", train, train_idx},
        std::tuple<const char*, const Split&, const std::vector<size_t>&>{"test", test, test_idx}}) {
    for (size_t i : idx) {
      const auto& cls = fashion_mnist_classes()[static_cast<unsigned char>(s.labels[i])];
      char name[32];
      std::snprintf(name, sizeof name, "%05zu.png", i);
      write_png((staging.path() / split / cls / name).string(),
                reinterpret_cast<const unsigned char*>(s.images.data()) + i * 784);
      if (progress && (++done % 500 == 0 || done == total)) progress(done, total);
    }
  }
  staging.commit();
  return summary;
}

}  // namespace unirep::data_makers
