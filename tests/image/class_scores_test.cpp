// sdk::top_classes, the ranking every classifier and the API show.
#include "sdk/class_scores.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

TEST(ClassScores, HighestFirstWithLabelsAndClampedK) {
  const auto p = at::tensor({0.1f, 0.5f, 0.15f, 0.25f});
  const std::vector<std::string> labels{"a", "b", "c", "d"};
  const auto top = unirep::sdk::top_classes(p, labels, 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].label, "b");
  EXPECT_EQ(top[0].index, 1);
  EXPECT_FLOAT_EQ(top[0].score, 0.5f);
  EXPECT_EQ(top[1].label, "d");
  EXPECT_EQ(top[2].label, "c");
  EXPECT_EQ(unirep::sdk::top_classes(p, labels, 10).size(), 4u);  // k above the class count
  EXPECT_EQ(unirep::sdk::top_classes(p, labels, 0).size(), 1u);   // k below 1
  // A 1 x K row, double probabilities, and a model with more outputs than names.
  const auto extra = unirep::sdk::top_classes(at::tensor({0.2, 0.8}, at::kDouble).unsqueeze(0), {"only"}, 2);
  ASSERT_EQ(extra.size(), 2u);
  EXPECT_EQ(extra[0].label, "1");
  EXPECT_EQ(extra[1].label, "only");
}
