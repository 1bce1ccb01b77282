// ClassificationReport: per-class accuracy, confusions and per-group accuracy from known predictions.
#include "sdk/train/classification_report.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using unirep::sdk::ClassificationReport;

TEST(ClassificationReport, CountsClassesConfusionsAndGroups) {
  ClassificationReport r({"on", "off", "up"});
  // Speaker a: every "off" heard as "on"; speaker b: all right except one "up" heard as "off".
  r.add(0, 0, "a");
  r.add(1, 0, "a");
  r.add(1, 0, "a");
  r.add(2, 2, "a");
  r.add(0, 0, "b");
  r.add(1, 1, "b");
  r.add(2, 1, "b");
  r.add(2, 2, "b");
  EXPECT_EQ(r.overall().total, 8);
  EXPECT_EQ(r.overall().correct, 5);
  EXPECT_DOUBLE_EQ(r.overall().percent(), 62.5);
  EXPECT_DOUBLE_EQ(r.class_rate(0).percent(), 100.0);
  EXPECT_NEAR(r.class_rate(1).percent(), 100.0 / 3, 1e-12);
  EXPECT_NEAR(r.class_rate(2).percent(), 200.0 / 3, 1e-12);
  EXPECT_EQ(r.confusion(1, 0), 2);
  EXPECT_EQ(r.confusion(2, 1), 1);
  EXPECT_EQ(r.confusion(0, 1), 0);
  ASSERT_EQ(r.groups().size(), 2u);
  EXPECT_DOUBLE_EQ(r.groups().at("a").percent(), 50.0);
  EXPECT_DOUBLE_EQ(r.groups().at("b").percent(), 75.0);

  const auto top = r.top_confusions(5);
  ASSERT_EQ(top.size(), 2u);  // only cells that happened
  EXPECT_EQ(top[0].truth, 1);
  EXPECT_EQ(top[0].predicted, 0);
  EXPECT_EQ(top[0].count, 2);
  EXPECT_EQ(top[1].truth, 2);
  EXPECT_EQ(top[1].predicted, 1);
  EXPECT_EQ(r.top_confusions(1).size(), 1u);

  const auto j = nlohmann::json::parse(r.to_json());
  EXPECT_DOUBLE_EQ(j.at("top1").get<double>(), 62.5);
  EXPECT_EQ(j.at("confusion").at(1).at(0).get<int>(), 2);
  EXPECT_EQ(j.at("confusion").at(2).get<std::vector<int>>(), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(j.at("per_class").at("off").at("correct").get<int>(), 1);
  EXPECT_EQ(j.at("groups").at("b").at("total").get<int>(), 4);
}

TEST(ClassificationReport, UngroupedExamplesMakeNoGroups) {
  ClassificationReport r({"yes", "no"});
  r.add(0, 1);
  r.add(1, 1);
  EXPECT_TRUE(r.groups().empty());
  EXPECT_DOUBLE_EQ(r.overall().percent(), 50.0);
  EXPECT_TRUE(nlohmann::json::parse(r.to_json()).at("groups").empty());
}

TEST(ClassificationReport, RefusesBadClassIndices) {
  EXPECT_THROW(ClassificationReport({}), std::invalid_argument);
  ClassificationReport r({"yes", "no"});
  EXPECT_THROW(r.add(2, 0), std::out_of_range);
  EXPECT_THROW(r.add(0, -1), std::out_of_range);
  EXPECT_THROW(r.confusion(0, 2), std::out_of_range);
  EXPECT_EQ(r.overall().total, 0);  // nothing counted by the refused calls
}
