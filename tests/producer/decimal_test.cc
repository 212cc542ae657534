// Exact decimal ranges: inclusive ends, no drift, shortest printing.
#include <gtest/gtest.h>

#include "producer/decimal.h"

namespace s1mple::producer {
namespace {

DecimalRange Range(const char* start, const char* end, const char* step) {
  auto r = DecimalRange::Make(Decimal::Parse(start).value(), Decimal::Parse(end).value(),
                              Decimal::Parse(step).value());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.value();
}

TEST(Decimal, QuarterStepsFromHalfToTwoGiveExactlySevenValues) {
  auto r = Range("0.5", "2.0", "0.25");
  ASSERT_EQ(r.size(), 7u);
  const char* expected[] = {"0.5", "0.75", "1", "1.25", "1.5", "1.75", "2"};
  for (uint64_t i = 0; i < r.size(); ++i) EXPECT_EQ(r.At(i).ToString(), expected[i]);
  EXPECT_EQ(r.JsonAt(1).dump(), "0.75");
  EXPECT_EQ(r.JsonAt(6).dump(), "2.0");
}

TEST(Decimal, TenthStepsDoNotDriftOverAThousandValues) {
  auto r = Range("0.1", "100.0", "0.1");
  ASSERT_EQ(r.size(), 1000u);
  EXPECT_EQ(r.At(999).ToString(), "100");
  EXPECT_EQ(r.At(2).ToString(), "0.3");  // 0.1 + 0.2 in binary would be 0.30000000000000004
  EXPECT_EQ(r.JsonAt(2).dump(), "0.3");
}

TEST(Decimal, IntegerRangesStayIntegers) {
  auto r = Range("3", "10", "1");
  ASSERT_EQ(r.size(), 8u);
  EXPECT_TRUE(r.JsonAt(0).is_number_integer());
  EXPECT_EQ(r.JsonAt(7).dump(), "10");
}

TEST(Decimal, EndNotOnAStepIsExcluded) {
  auto r = Range("1", "2", "0.3");
  ASSERT_EQ(r.size(), 4u);  // 1, 1.3, 1.6, 1.9
  EXPECT_EQ(r.At(3).ToString(), "1.9");
}

TEST(Decimal, SingleValueRangeWhenStartEqualsEnd) {
  EXPECT_EQ(Range("5", "5", "1").size(), 1u);
}

TEST(Decimal, StepZeroNegativeStepAndEndBelowStartAreRefused) {
  auto d = [](const char* s) { return Decimal::Parse(s).value(); };
  auto zero = DecimalRange::Make(d("1"), d("2"), d("0"));
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("step is 0"), std::string::npos);
  EXPECT_FALSE(DecimalRange::Make(d("1"), d("2"), d("-0.5")).ok());
  auto below = DecimalRange::Make(d("3"), d("2"), d("1"));
  ASSERT_FALSE(below.ok());
  EXPECT_NE(below.status().message().find("below start"), std::string::npos);
}

TEST(Decimal, ParsesSignsExponentsAndRefusesText) {
  EXPECT_EQ(Decimal::Parse("-1.25").value().ToString(), "-1.25");
  EXPECT_EQ(Decimal::Parse("1e-3").value().ToString(), "0.001");
  EXPECT_EQ(Decimal::Parse("2.5E2").value().ToString(), "250");
  EXPECT_FALSE(Decimal::Parse("abc").ok());
  EXPECT_FALSE(Decimal::Parse("1.2.3").ok());
  EXPECT_FALSE(Decimal::Parse("0.0000000001").ok());  // 10 decimals
}

}  // namespace
}  // namespace s1mple::producer
