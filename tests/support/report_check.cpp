#include "support/report_check.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

namespace unirep::testing {

void expect_consistent_report(const std::string& path, int examples, int classes, double printed_top1,
                              const std::string& cli_output) {
  std::ifstream in(path);
  ASSERT_TRUE(in) << path << " was not written";
  const auto report = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(report.is_discarded()) << path << " is not JSON";
  EXPECT_EQ(report.at("examples").get<int>(), examples);
  EXPECT_NEAR(report.at("top1").get<double>(), printed_top1, 1e-3);  // printed with 6 digits
  ASSERT_EQ(report.at("labels").size(), static_cast<size_t>(classes));
  ASSERT_EQ(report.at("confusion").size(), static_cast<size_t>(classes));
  int in_matrix = 0, diagonal = 0, in_classes = 0, correct = 0;
  for (size_t t = 0; t < report.at("confusion").size(); ++t) {
    const auto& row = report.at("confusion")[t];
    ASSERT_EQ(row.size(), static_cast<size_t>(classes));
    for (size_t p = 0; p < row.size(); ++p) {
      in_matrix += row[p].get<int>();
      if (p == t) diagonal += row[p].get<int>();
    }
  }
  for (const auto& label : report.at("labels")) {
    const auto& entry = report.at("per_class").at(label.get<std::string>());
    in_classes += entry.at("total").get<int>();
    correct += entry.at("correct").get<int>();
    EXPECT_NE(cli_output.find("class_top1/" + label.get<std::string>() + " "), std::string::npos) << label << "\n"
                                                                                                  << cli_output;
  }
  EXPECT_EQ(in_matrix, examples);
  EXPECT_EQ(in_classes, examples);
  EXPECT_EQ(diagonal, correct);
}

}  // namespace unirep::testing
