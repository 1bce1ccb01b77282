#include "models/backbone/complexity.h"
#include "models/backbone/unireplknet.h"

#include <gtest/gtest.h>

using namespace unirep::models;

namespace {
int64_t count_parameters(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}
}  // namespace

// The paper's table (deploy structure, 224 x 224): params in millions, FLOPs in G multiply-adds.
TEST(Complexity, MatchesThePaperWithinOnePercent) {
  struct Row {
    const char* name;
    double params_m, gflops;
  };
  for (const Row& r : {Row{"a", 4.44, 0.64}, Row{"f", 6.24, 0.91}, Row{"p", 10.74, 1.57}, Row{"n", 18.32, 2.77},
                       Row{"t", 31.04, 4.90}, Row{"s", 55.65, 9.09}}) {
    auto c = count_complexity(variant_config(r.name), /*deploy=*/true, 224, 224);
    EXPECT_NEAR(c.parameters / 1e6, r.params_m, 0.01 * r.params_m) << r.name;
    EXPECT_NEAR(c.macs / 1e9, r.gflops, 0.01 * r.gflops) << r.name;
  }
}

TEST(Complexity, ParameterCountEqualsTheBuiltNetwork) {
  BackboneConfig custom;
  custom.depths = {1, 2, 3, 1};
  custom.dims = {8, 16, 24, 32};
  custom.kernel_sizes = {{0}, {5, 7}, {9, 11, 15}, {17}};
  custom.in_chans = 2;
  custom.num_classes = 7;
  for (const auto& config : {variant_config("a"), variant_config("n"), custom}) {
    for (bool deploy : {false, true}) {
      UniRepLKNet net(UniRepLKNetOptions(config).deploy(deploy));
      EXPECT_EQ(count_complexity(config, deploy, 64, 64).parameters, count_parameters(*net)) << deploy;
    }
  }
}

TEST(Complexity, TrainStructureCostsMoreAndScalesWithInput) {
  auto a = variant_config("a");
  auto train = count_complexity(a, false, 224, 224), deploy = count_complexity(a, true, 224, 224);
  EXPECT_GT(train.parameters, deploy.parameters);
  EXPECT_GT(train.macs, deploy.macs);
  auto big = count_complexity(a, true, 448, 448);
  EXPECT_NEAR(static_cast<double>(big.macs) / deploy.macs, 4.0, 0.05);
}
