// The point-to-pixel model: rasterization puts points where the official formula
// (docs/reference.md, Point clouds) says, the projection does not depend on point order, the
// classifier's deploy structure matches its train structure, the shape generator is
// deterministic, and a short training run learns.
#include "models/points/point_cloud_net.h"
#include "models/points/point_to_pixel.h"
#include "models/backbone/state_dict.h"
#include "modalities/points/point_file.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/autograd.h>

#include <sstream>

#include "shape_dataset.h"
#include "support/report_check.h"
#include "support/test_support.h"

namespace {
using namespace unirep;
TEST(Rasterize, TwoPointsLandWhereTheFormulaSays) {
  // S = 14: grid = 1 / 11, cells (0, 0) and (11, 11), splats 0..2 and 11..13, centre
  // floor((13 + 0) / 2) = 6, shift 14 / 2 - 6 - 1 = 0.
  auto xy = at::tensor({0.0f, 0.0f, 1.0f, 1.0f}).view({1, 2, 2});
  auto feats = at::tensor({1.0f, 2.0f}).view({1, 2, 1});
  auto img = models::rasterize_view(xy, feats, 14);
  ASSERT_EQ(img.sizes(), (at::IntArrayRef{1, 1, 14, 14}));
  EXPECT_FLOAT_EQ(img[0][0][0][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(img[0][0][2][2].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(img[0][0][3][3].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(img[0][0][11][11].item<float>(), 2.0f);
  EXPECT_FLOAT_EQ(img[0][0][13][13].item<float>(), 2.0f);
  EXPECT_FLOAT_EQ(img.sum().item<float>(), 27.0f);  // 9 pixels each, scatter-summed
  // x is the row: a point moved along x moves down the image.
  auto xy2 = at::tensor({0.0f, 0.0f, 1.0f, 0.0f}).view({1, 2, 2});
  auto img2 = models::rasterize_view(xy2, feats, 14);
  EXPECT_GT(img2[0][0].sum(1)[12].item<float>(), 0.0f);        // a row near the bottom is lit
  EXPECT_FLOAT_EQ(img2[0][0].sum(0)[12].item<float>(), 0.0f);  // no column near the right is
}

TEST(PointToPixel, ImagesDoNotDependOnPointOrder) {
  torch::manual_seed(0);
  models::PointToPixel p2p(models::PointToPixelOptions()
                               .image_size(28)
                               .graph_dim(16)
                               .fusion_dim(32)
                               .heads(2)
                               .head_dim(16)
                               .mlp_dim(64)
                               .neighbours(8));
  p2p->eval();
  auto pts = at::randn({2, 200, 3});
  auto input = at::cat({pts, pts * 1.1}, 2);
  auto perm = at::randperm(200);
  torch::NoGradGuard no_grad;
  auto a = p2p->forward(input);
  auto b = p2p->forward(input.index_select(1, perm));
  ASSERT_EQ(a.sizes(), (at::IntArrayRef{8, 3, 28, 28}));  // B V images, sample-major
  EXPECT_LT((a - b).abs().max().item<float>(), 1e-4);
}

TEST(PointCloudNet, DeployStructureMatches) {
  torch::manual_seed(1);
  models::BackboneConfig cfg;
  cfg.depths = {1, 1, 1, 1};
  cfg.dims = {8, 16, 32, 64};
  cfg.kernel_sizes = {{3}, {7}, {9}, {3}};
  models::PointCloudNetOptions o(cfg, 5);
  o.projection(models::PointToPixelOptions()
                   .image_size(28)
                   .graph_dim(16)
                   .fusion_dim(32)
                   .heads(2)
                   .head_dim(16)
                   .mlp_dim(64)
                   .neighbours(8));
  models::PointCloudNet net(o);
  // Non-trivial BatchNorm statistics, then eval.
  net->train();
  auto x = at::randn({3, 128, 6});
  for (int i = 0; i < 3; ++i) net->forward(x);
  net->eval();
  torch::NoGradGuard no_grad;
  auto before = net->forward(x);
  ASSERT_EQ(before.sizes(), (at::IntArrayRef{3, 5}));
  models::PointCloudNet deployed(models::PointCloudNetOptions(o).deploy(true));
  auto copy = models::PointCloudNet(o);
  models::load_state_dict(*copy, models::state_dict(*net));
  copy->eval();
  copy->reparameterize();
  models::load_state_dict(*deployed, models::state_dict(*copy));
  deployed->eval();
  EXPECT_LT((deployed->forward(x) - before).abs().max().item<float>(), 1e-4);
}

TEST(ShapeData, DeterministicReadableAndSplit) {
  unirep::testing::TempDir a, b;
  data_makers::ShapeDataOptions o;
  o.shapes_per_class = 4;
  o.points = 256;
  o.seed = 9;
  o.out_dir = a.path();
  const auto s = data_makers::generate_shape_dataset(o);
  EXPECT_EQ(s.train + s.test, 4 * data_makers::shape_classes().size());
  EXPECT_EQ(s.test, data_makers::shape_classes().size());
  o.out_dir = b.path();
  o.threads = 1;
  data_makers::generate_shape_dataset(o);
  for (const auto& cls : data_makers::shape_classes()) {
    const std::string f = "/" + cls + "/" + cls + "_2.ply";
    EXPECT_EQ(unirep::testing::read_bytes(a.path() + f), unirep::testing::read_bytes(b.path() + f)) << cls;
    const auto cloud = modalities::read_point_file(a.path() + f);
    EXPECT_GT(cloud.size(), 64u) << cls;  // occlusion and thinning leave most points
    EXPECT_LE(cloud.size(), 256u) << cls;
  }
  EXPECT_EQ(unirep::testing::read_bytes(a.file("shapes_test.txt")),
            unirep::testing::read_bytes(b.file("shapes_test.txt")));
}

TEST(PointTraining, AShortRunLearnsAndClassifies) {
  unirep::testing::TempDir d;
  auto g = unirep::testing::run_cli(
      {"data", "shapes", "--out", d.file("shapes"), "--per-class", "12", "--points", "512", "--seed", "2"});
  ASSERT_EQ(g.exit_code, 0) << g.output;
  const std::string layout = d.file("tiny.json");
  unirep::testing::write_bytes(
      layout, R"({"depths": [1, 1, 1, 1], "dims": [16, 32, 64, 128], "kernel_sizes": [[3], [7], [7], [3]],
                              "layer_scale_init_value": null, "in_chans": 3, "num_classes": 11})");
  auto r = unirep::testing::run_cli({"train",
                                     "points",
                                     "--model",
                                     layout,
                                     "--data",
                                     d.file("shapes"),
                                     "-o",
                                     d.file("run"),
                                     "--epochs",
                                     "14",
                                     "--batch-size",
                                     "16",
                                     "--lr",
                                     "3e-3",
                                     "--points-per-shape",
                                     "256",
                                     "--image-size",
                                     "28",
                                     "--graph-dim",
                                     "16",
                                     "--fusion-dim",
                                     "32",
                                     "--neighbours",
                                     "8",
                                     "--seed",
                                     "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Chance is 1/11 = 9%; a short run on 99 shapes must do clearly better on the held-out shapes.
  const auto pos = r.output.find("test_top1 ");
  ASSERT_NE(pos, std::string::npos) << r.output;
  EXPECT_GT(std::stod(r.output.substr(pos + 10)), 25.0) << r.output;
  // evaluate points scores the same model on the same test shapes, and reports per class.
  auto e = unirep::testing::run_cli({"evaluate", "points", "--model-file", d.file("run/best_deploy.safetensors"),
                                     "--data", d.file("shapes"), "--report", d.file("report.json")});
  ASSERT_EQ(e.exit_code, 0) << e.output;
  const auto top1_at = e.output.find("\ntop1 "), shapes_at = e.output.find("\nshapes ");
  ASSERT_NE(top1_at, std::string::npos) << e.output;
  ASSERT_NE(shapes_at, std::string::npos) << e.output;
  const double top1 = std::stod(e.output.substr(top1_at + 6));
  EXPECT_NEAR(top1, std::stod(r.output.substr(pos + 10)), 1e-3) << e.output;
  unirep::testing::expect_consistent_report(d.file("report.json"), std::stoi(e.output.substr(shapes_at + 8)), 11, top1,
                                            e.output);
  auto c = unirep::testing::run_cli({"classify-points", "--model-file", d.file("run/best_deploy.safetensors"), "--json",
                                     "--views-png", d.file("views.png"), d.file("shapes/torus/torus_12.ply")});
  ASSERT_EQ(c.exit_code, 0) << c.output;
  EXPECT_NE(c.output.find("\"file\""), std::string::npos) << c.output;
  EXPECT_EQ(unirep::testing::read_bytes(d.file("views.png")).substr(0, 4), std::string("\x89PNG", 4));
}

}  // namespace
