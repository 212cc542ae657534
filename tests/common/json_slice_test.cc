// SliceJsonObject and SliceJsonArray: top-level members of a JSON object (elements of an array)
// as raw slices.
#include "common/json_slice.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace s1mple {
namespace {

TEST(JsonSlice, MembersInOrderWithRawValues) {
  auto m =
      SliceJsonObject(R"( { "a" : [1, {"x": "}]"}] , "b":"q\"}", "c": -1.5e3,"d":null, "e":{} } )");
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->size(), 5u);
  EXPECT_EQ((*m)[0].first, "a");
  EXPECT_EQ((*m)[0].second, R"([1, {"x": "}]"}])");
  EXPECT_EQ((*m)[1].second, R"("q\"}")");
  EXPECT_EQ((*m)[2].second, "-1.5e3");
  EXPECT_EQ((*m)[3].second, "null");
  EXPECT_EQ((*m)[4].second, "{}");
  for (const auto& [k, raw] : *m)
    EXPECT_FALSE(nlohmann::json::parse(raw, nullptr, false).is_discarded()) << k;
}

TEST(JsonSlice, RefusesWhatIsNotOneObject) {
  EXPECT_TRUE(SliceJsonObject("{}").has_value());
  EXPECT_TRUE(SliceJsonObject(" {} \n").has_value());
  for (const char* bad : {"", "[1]", "{", "}", R"({"a": {)", R"({"a": 1} x)", R"({"a" 1})",
                          R"({"a": 1,})", R"({a: 1})", R"({"a": "open})", R"({"a": })"})
    EXPECT_FALSE(SliceJsonObject(bad).has_value()) << bad;
}

TEST(JsonSlice, ArrayElementsInOrderWithRawValues) {
  auto e = SliceJsonArray(R"( [ 1 , {"x": "]}"}, "q\"]" ,[ ], -2.5E-3,null] )");
  ASSERT_TRUE(e.has_value());
  ASSERT_EQ(e->size(), 6u);
  EXPECT_EQ((*e)[0], "1");
  EXPECT_EQ((*e)[1], R"({"x": "]}"})");
  EXPECT_EQ((*e)[2], R"("q\"]")");
  EXPECT_EQ((*e)[3], "[ ]");
  EXPECT_EQ((*e)[4], "-2.5E-3");
  EXPECT_EQ((*e)[5], "null");
  EXPECT_TRUE(SliceJsonArray("[]").has_value() && SliceJsonArray(" [ ] ")->empty());
  for (const char* bad : {"", "{}", "[", "]", "[1,]", "[1 2]", "[1] x", R"(["open])", "[,1]"})
    EXPECT_FALSE(SliceJsonArray(bad).has_value()) << bad;
}

}  // namespace
}  // namespace s1mple
