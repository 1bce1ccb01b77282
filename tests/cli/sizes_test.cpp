// Sizes from files, end to end (docs/backbone.md, Layout limits): a layout JSON or a model file
// that asks for absurd sizes is refused with one line naming the file and the field before
// anything big is allocated, under a memory cap far below what the layout asks for; a config path
// that never ends or never opens fails at once; a stage of depth 0 runs.
#include "models/io/npy.h"
#include "sdk/model_file.h"
#include <support/test_models.h>
#include <support/test_support.h>

#include <ATen/ATen.h>

#include <sys/stat.h>
namespace {

// Far below the gigabytes an unchecked layout would allocate, above what a real run needs.
unirep::testing::CliLimits capped() {
  unirep::testing::CliLimits limits;
  limits.address_space_bytes = 3ull << 30;
  limits.timeout_s = 60;
  return limits;
}

// The one "unirep: error: ..." line of a run, or "" when there is none.
std::string error_line(const std::string& output) {
  const auto at = output.find("unirep: error: ");
  if (at == std::string::npos) return "";
  return output.substr(at, output.find('\n', at) - at);
}

// Expects a refusal: exit 1, in time, with exactly this error line.
void expect_refused(const std::vector<std::string>& args, const std::string& line) {
  const auto r = unirep::testing::run_cli_limited(args, capped());
  EXPECT_FALSE(r.timed_out) << args[0];
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(error_line(r.output), "unirep: error: " + line) << r.output;
}

std::string layout(const std::string& depths, const std::string& dims, const std::string& kernels,
                   const std::string& tail = "") {
  return R"({"depths": )" + depths + R"(, "dims": )" + dims + R"(, "kernel_sizes": )" + kernels +
         R"(, "in_chans": 3, "num_classes": 10)" + tail + "}";
}

}  // namespace

TEST(Sizes, LayoutFieldsBeyondTheLimitsAreRefusedBeforeBuilding) {
  unirep::testing::TempDir d;
  const auto big = d.file("big.json");
  unirep::testing::write_bytes(
      big, layout("[2,2,6,2]", "[1000000000,80,160,320]", "[[3,3],[13,13],[13,13,13,13,13,13],[13,13]]"));
  const std::string dims_line = big + ": 'dims'[0] is 1000000000, more than the limit of 65536 channels";
  expect_refused({"info", "--model", big}, dims_line);
  expect_refused({"demo", "--model", big, "--size", "32", "--runs", "1"}, dims_line);
  unirep::testing::write_bytes(d.file("w.safetensors"), "not weights");
  unirep::io::write_npy(d.file("x.npy"), at::zeros({1, 3, 32, 32}));
  expect_refused({"infer", "--model", big, "--weights", d.file("w.safetensors"), "--input-npy", d.file("x.npy"),
                  "--output-npy", d.file("y.npy")},
                 dims_line);
  EXPECT_FALSE(unirep::testing::file_exists(d.file("y.npy")));

  const auto classes = d.file("classes.json");
  unirep::testing::write_bytes(
      classes, layout("[1,1,1,1]", "[8,16,32,64]", "[[3],[3],[3],[3]]", R"(, "num_classes": 1000000000000)"));
  expect_refused({"demo", "--model", classes, "--size", "32", "--runs", "1"},
                 classes + ": 'num_classes' is 1000000000000, more than the limit of 16777216 classes");
}

// Every field within its own limit, the layout as a whole 276 GiB of parameters: the old code
// allocated until the memory cap stopped it.
TEST(Sizes, LayoutsBeyondTheMemoryLimitAreRefusedFromTheEstimate) {
  unirep::testing::TempDir d;
  const auto wide = d.file("wide.json");
  unirep::testing::write_bytes(wide, layout("[1,1,1,1]", "[8192,16384,32768,65536]", "[[3],[3],[3],[3]]"));
  const auto r = unirep::testing::run_cli_limited({"demo", "--model", wide, "--size", "32", "--runs", "1"}, capped());
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const auto line = error_line(r.output);
  EXPECT_EQ(line.rfind("unirep: error: " + wide + ": layout asks for ", 0), 0u) << r.output;
  EXPECT_NE(line.find("parameters ("), std::string::npos) << line;
  EXPECT_NE(line.find("as float32), more than the 4 GiB limit (UNIREP_MAX_LAYOUT_GIB sets it)"), std::string::npos)
      << line;
}

// /dev/zero never ends and a FIFO without a writer never opens for a blocking reader.
TEST(Sizes, ConfigPathsThatAreNotFilesFailAtOnce) {
  unirep::testing::TempDir d;
  expect_refused({"info", "--model", "/dev/zero"}, "/dev/zero: is a character device, not a JSON config file");
  const auto fifo = d.file("layout.json");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_refused({"info", "--model", fifo}, fifo + ": is a FIFO (named pipe), not a JSON config file");
}

// The official model's empty nn.Sequential passes its input through; LibTorch's refused forward().
TEST(Sizes, AStageOfDepthZeroRuns) {
  unirep::testing::TempDir d;
  const auto zero = d.file("zero.json");
  unirep::testing::write_bytes(zero, layout("[1,0,1,1]", "[8,16,32,64]", "[[3],[],[13],[5]]"));
  const auto r = unirep::testing::run_cli_limited({"demo", "--model", zero, "--size", "64", "--runs", "1"}, capped());
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("empty Sequential"), std::string::npos) << r.output;
}

// A model file whose metadata claims 1e12 classes: refused from the metadata, before the
// 4-terabyte head is allocated.
TEST(Sizes, AModelFileClaimingAbsurdSizesIsRefused) {
  unirep::testing::TempDir d;
  unirep::testing::write_image_model(d.file("good.safetensors"));
  auto model = unirep::sdk::read_model_file(d.file("good.safetensors"));
  model.backbone.num_classes = 1000000000000;
  const auto big = d.file("big.safetensors");
  unirep::sdk::write_model_file(big, model);
  unirep::testing::write_bytes(d.file("p.ppm"), "P6\n64 48\n255\n" + std::string(64 * 48 * 3, '\x80'));
  const auto r = unirep::testing::run_cli_limited({"classify-image", "--model-file", big, d.file("p.ppm")}, capped());
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const auto line = error_line(r.output);
  EXPECT_EQ(line.rfind("unirep: error: " + big + ": ", 0), 0u) << r.output;
  EXPECT_NE(line.find("'num_classes' is 1000000000000, more than the limit of 16777216 classes"), std::string::npos)
      << line;
}
