// Image datasets and training: folder layouts and CSV, the augmentation's shapes and determinism,
// mixup/CutMix targets, the Fashion-MNIST writer on small IDX files made here (and hostile ones),
// and a short `train image` run that must learn, then `evaluate image` and `classify-image
// --model-file` on its model.
#include "modalities/image/image_augment.h"
#include "modalities/image/image_file_list.h"
#include "sdk/image/image_dataset.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <random>
#include <sstream>

#include "fashion_mnist.h"
#include "support/report_check.h"
#include "support/test_support.h"

namespace {
using unirep::testing::TempDir;

void gzip_to(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
}

std::string be32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

// An IDX pair of `n` 28 x 28 images whose class c is a bright band at rows 2c..2c+5 on noise.
void write_idx(const std::string& dir, const std::string& prefix, int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string images = be32(2051) + be32(n) + be32(28) + be32(28), labels = be32(2049) + be32(n);
  for (int i = 0; i < n; ++i) {
    const int c = i % 10;
    labels.push_back(static_cast<char>(c));
    for (int y = 0; y < 28; ++y)
      for (int x = 0; x < 28; ++x)
        images.push_back(static_cast<char>((y >= 2 * c && y < 2 * c + 6 ? 200 : 0) + rng() % 40));
  }
  gzip_to(dir + "/" + prefix + "-images-idx3-ubyte.gz", images);
  gzip_to(dir + "/" + prefix + "-labels-idx1-ubyte.gz", labels);
}

unirep::modalities::RgbImage noise_image(int w, int h, unsigned seed) {
  std::mt19937 rng(seed);
  unirep::modalities::RgbImage im;
  im.width = w, im.height = h;
  im.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (auto& p : im.pixels) p = static_cast<uint8_t>(rng());
  return im;
}

TEST(ImageAugment, ShapesDeterminismAndMixing) {
  const auto im = noise_image(90, 60, 1);
  unirep::modalities::ImageAugmentOptions o;
  o.size = 32;
  std::mt19937_64 a(5), b(5);
  const auto x = unirep::modalities::augment_for_training(im, o, a),
             y = unirep::modalities::augment_for_training(im, o, b);
  EXPECT_EQ(x.width, 32);
  EXPECT_EQ(x.height, 32);
  EXPECT_EQ(x.pixels, y.pixels);  // same seed, same result
  for (int k = 0; k < 50; ++k) {  // every op at full magnitude keeps the size
    const auto r = unirep::modalities::rand_augment(x, 3, 10, 0, a);
    ASSERT_EQ(r.pixels.size(), x.pixels.size());
  }
  auto mixed = x;
  unirep::modalities::mixup_into(mixed, unirep::modalities::RgbImage{32, 32, std::vector<uint8_t>(32 * 32 * 3, 0)},
                                 0.5);
  EXPECT_EQ(mixed.pixels[0], static_cast<uint8_t>(std::lround(x.pixels[0] * 0.5)));
  auto cut = x;
  const double lambda = unirep::modalities::cutmix_into(
      cut, unirep::modalities::RgbImage{32, 32, std::vector<uint8_t>(32 * 32 * 3, 7)}, 0.75, a);
  size_t replaced = 0;
  for (size_t i = 0; i < cut.pixels.size(); i += 3)
    replaced += cut.pixels[i] == 7 && cut.pixels[i + 1] == 7 && cut.pixels[i + 2] == 7;
  EXPECT_NEAR(1.0 - lambda, static_cast<double>(replaced) / (32 * 32), 0.02);
}

TEST(ImageFileList, LayoutsAndErrors) {
  TempDir d;
  namespace fs = std::filesystem;
  auto touch = [&](const std::string& rel) {
    fs::create_directories(fs::path(d.file(rel)).parent_path());
    unirep::testing::write_bytes(d.file(rel), "x");
  };
  touch("in/train/cat/1.png");
  touch("in/train/cat/2.JPG");
  touch("in/train/cat/notes.txt");
  touch("in/train/dog/1.png");
  touch("in/val/dog/3.png");
  touch("in/test/cat/4.webp");
  const auto l = unirep::modalities::list_image_dataset(d.file("in"));
  EXPECT_EQ(l.labels, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(l.train.size(), 3u);
  ASSERT_EQ(l.validation.size(), 1u);
  EXPECT_EQ(l.validation[0].label, 1);
  EXPECT_EQ(l.test.size(), 1u);
  const auto flat = unirep::modalities::list_image_dataset(d.file("in/train"));  // class folders only: all train
  EXPECT_EQ(flat.train.size(), 3u);
  EXPECT_TRUE(flat.test.empty());
  unirep::testing::write_bytes(d.file("in/list.csv"), "path,label\ntrain/cat/1.png,cat\ntrain/dog/1.png,dog\n");
  EXPECT_EQ(unirep::modalities::list_image_dataset(d.file("in/list.csv")).train.size(), 2u);
  touch("in/test/bird/5.png");
  EXPECT_THROW(unirep::modalities::list_image_dataset(d.file("in")), std::runtime_error);  // a test class train/ lacks
  unirep::testing::write_bytes(d.file("bad.csv"), "missing.png,cat\n");
  try {
    unirep::modalities::list_image_dataset(d.file("bad.csv"));
    ADD_FAILURE() << "a missing file must be an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv:1"), std::string::npos) << e.what();
  }
}

TEST(FashionMnist, WritesImageFoldersAndRefusesBadIdx) {
  TempDir d;
  std::filesystem::create_directories(d.file("src"));
  write_idx(d.file("src"), "train", 60, 1);
  write_idx(d.file("src"), "t10k", 20, 2);
  unirep::data_makers::FashionMnistOptions o;
  o.source_dir = d.file("src");
  o.out_dir = d.file("out");
  o.train_per_class = 4;
  const auto s = unirep::data_makers::write_fashion_mnist(o);
  EXPECT_EQ(s.train, 40u);
  EXPECT_EQ(s.test, 20u);
  const auto list = unirep::modalities::list_image_dataset(d.file("out"));
  EXPECT_EQ(list.labels, unirep::data_makers::fashion_mnist_classes());
  EXPECT_EQ(list.train.size(), 40u);
  EXPECT_EQ(list.test.size(), 20u);
  const auto again = unirep::data_makers::write_fashion_mnist(o);  // a second run reuses it
  EXPECT_TRUE(again.reused);
  // A header promising more images than the file holds.
  std::filesystem::create_directories(d.file("bad"));
  write_idx(d.file("bad"), "t10k", 20, 2);
  gzip_to(d.file("bad/train-images-idx3-ubyte.gz"),
          be32(2051) + be32(1000) + be32(28) + be32(28) + std::string(784, '\0'));
  gzip_to(d.file("bad/train-labels-idx1-ubyte.gz"), be32(2049) + be32(1000) + std::string(1000, '\0'));
  o.source_dir = d.file("bad");
  o.out_dir = d.file("out2");
  try {
    unirep::data_makers::write_fashion_mnist(o);
    ADD_FAILURE() << "a short IDX file must be an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("train-images-idx3-ubyte.gz: the header promises 1000 images"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(d.file("out2")));
}

TEST(ImageDataset, MixedTargetsSumToOne) {
  TempDir d;
  std::filesystem::create_directories(d.file("src"));
  write_idx(d.file("src"), "train", 40, 3);
  write_idx(d.file("src"), "t10k", 10, 4);
  unirep::data_makers::FashionMnistOptions o;
  o.source_dir = d.file("src");
  o.out_dir = d.file("out");
  unirep::data_makers::write_fashion_mnist(o);
  const auto list = unirep::modalities::list_image_dataset(d.file("out"));
  unirep::modalities::ImageTransformOptions t;
  t.size = 32;
  unirep::modalities::ImageAugmentOptions aug;
  aug.size = 32;
  unirep::sdk::ImageMixOptions mix;
  mix.prob = 1.0;
  unirep::sdk::ImageDataset train(list.train, 10, t, aug, mix, 7);
  size_t two_classes = 0;
  for (size_t i = 0; i < 20; ++i) {
    const auto e = train.get(i);
    ASSERT_EQ(e.input.sizes(), (at::IntArrayRef{3, 32, 32}));
    EXPECT_NEAR(e.target.sum().item<double>(), 1.0, 1e-6);
    two_classes += (e.target > 1e-6).sum().item<int64_t>() == 2;
  }
  EXPECT_GT(two_classes, 10u);
  unirep::sdk::ImageDataset test(list.test, 10, t);
  const auto e = test.get(3);
  EXPECT_EQ(e.target.argmax().item<int64_t>(), list.test[3].label);
  EXPECT_TRUE(at::equal(e.input, test.get(3).input));  // evaluation is deterministic
}

// A short run on the band images (the class is which rows are bright) must learn them, and the
// model file it writes must work in evaluate and classify-image.
TEST(TrainImageCli, ShortRunLearnsAndItsModelFileClassifies) {
  TempDir d;
  std::filesystem::create_directories(d.file("src"));
  write_idx(d.file("src"), "train", 400, 5);
  write_idx(d.file("src"), "t10k", 100, 6);
  unirep::data_makers::FashionMnistOptions o;
  o.source_dir = d.file("src");
  o.out_dir = d.file("data");
  unirep::data_makers::write_fashion_mnist(o);
  unirep::testing::write_bytes(
      d.file("model.json"),
      R"({"depths": [1, 1, 1, 1], "dims": [16, 32, 64, 128], "kernel_sizes": [[3], [7], [7], [3]],
                      "layer_scale_init_value": null, "in_chans": 3, "num_classes": 10})");
  auto r = unirep::testing::run_cli({"train",
                                     "image",
                                     "--model",
                                     d.file("model.json"),
                                     "--data",
                                     d.file("data"),
                                     "--output-dir",
                                     d.file("run"),
                                     "--size",
                                     "28",
                                     "--crop-pct",
                                     "1",
                                     "--scale-min",
                                     "0.8",
                                     "--randaug-ops",
                                     "0",
                                     "--hflip",
                                     "0",
                                     "--mix-prob",
                                     "0",
                                     "--epochs",
                                     "6",
                                     "--batch-size",
                                     "32",
                                     "--lr",
                                     "3e-3",
                                     "--warmup-epochs",
                                     "0.5",
                                     "--threads",
                                     "2",
                                     "--seed",
                                     "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto at = r.output.find("test_top1 ");
  ASSERT_NE(at, std::string::npos) << r.output;
  const double top1 = std::stod(r.output.substr(at + 10));
  EXPECT_GT(top1, 60.0) << r.output;  // chance is 10%
  const std::string model = d.file("run/best_deploy.safetensors");
  r = unirep::testing::run_cli({"evaluate", "image", "--model-file", model, "--data", d.file("data")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_NE(r.output.find("top1 "), std::string::npos) << r.output;
  EXPECT_NEAR(std::stod(r.output.substr(r.output.find("top1 ") + 5)), top1, 1e-3);  // the same model on the same split
  const auto list = unirep::modalities::list_image_dataset(d.file("data"));
  // Where it goes wrong: accuracy per class and the JSON report, which agrees with the printed top1.
  r = unirep::testing::run_cli(
      {"evaluate", "image", "--model-file", model, "--data", d.file("data"), "--report", d.file("report.json")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  unirep::testing::expect_consistent_report(d.file("report.json"), static_cast<int>(list.test.size()), 10, top1,
                                            r.output);
  // A report that cannot be written fails before the evaluation, naming the path.
  r = unirep::testing::run_cli({"evaluate", "image", "--model-file", model, "--data", d.file("data"), "--report",
                                d.file("missing/report.json")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("missing/report.json"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("top1 "), std::string::npos) << r.output;
  // Speakers are an audio notion: asking for them here is an error, not silently ignored.
  r = unirep::testing::run_cli({"evaluate", "image", "--model-file", model, "--data", d.file("data"), "--by-speaker"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--by-speaker is not an option of evaluate image"), std::string::npos) << r.output;
  r = unirep::testing::run_cli({"classify-image", list.test[0].path, "--model-file", model, "--top-k", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("_"), std::string::npos) << r.output;  // class folder names such as 3_dress
  r = unirep::testing::run_cli({"classify-image", list.test[0].path, "--model-file", model, "--model", "a"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("either --model-file, or --model"), std::string::npos) << r.output;
}

}  // namespace

namespace {
// Fine-tuning starts from an official-format checkpoint: everything but the head loads, the head is
// replaced for the new classes; a checkpoint of another layout is refused.
TEST(TrainImageCli, FineTunesFromTheOfficialCheckpoint) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir d;
  std::filesystem::create_directories(d.file("src"));
  write_idx(d.file("src"), "train", 20, 7);
  write_idx(d.file("src"), "t10k", 10, 8);
  unirep::data_makers::FashionMnistOptions o;
  o.source_dir = d.file("src");
  o.out_dir = d.file("data");
  unirep::data_makers::write_fashion_mnist(o);
  const std::string weights = unirep::testing::fixture("backbone/unireplknet_a.train.pth");
  auto r = unirep::testing::run_cli({"train", "image", "--model", "a", "--weights", weights, "--data", d.file("data"),
                                     "--output-dir", d.file("run"), "--size", "32", "--max-steps", "2", "--batch-size",
                                     "4", "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("new head for 10 classes"), std::string::npos) << r.output;
  r = unirep::testing::run_cli({"train", "image", "--model", "f", "--weights", weights, "--data", d.file("data"),
                                "--output-dir", d.file("run2"), "--size", "32", "--max-steps", "1"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("does not fit the model"), std::string::npos) << r.output;
}
}  // namespace
