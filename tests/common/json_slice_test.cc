// SliceJsonObject and SliceJsonArray: top-level members of a JSON object (elements of an array)
// as raw slices.
#include "common/json_slice.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <random>
#include <string>

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

TEST(JsonSlice, LongNestedValuesAreSkippedExactlyWhereverTheirBracketsAndQuotesFall) {
  // The skip over nested values reads 16 bytes at a time up to the next bracket or quote: values
  // of every length, with brackets and escaped quotes inside strings at every offset, must come
  // back whole.
  std::mt19937 rng(7);
  std::function<nlohmann::json(int)> value = [&](int depth) -> nlohmann::json {
    const int kind = static_cast<int>(rng() % (depth > 3 ? 3 : 6));
    if (kind == 0) return static_cast<double>(rng() % 100000) / 7.0;
    if (kind == 1) return static_cast<int>(rng() % 1000) - 500;
    if (kind == 2) {
      std::string text;
      const size_t n = rng() % 40;
      for (size_t i = 0; i < n; ++i) text += "ab[]{}\"x,: 0"[rng() % 14];
      return text;
    }
    if (kind == 3) {
      nlohmann::json a = nlohmann::json::array();
      for (size_t i = rng() % 30; i > 0; --i) a.push_back(value(depth + 1));
      return a;
    }
    nlohmann::json o = nlohmann::json::object();
    for (size_t i = rng() % 8; i > 0; --i) {
      std::string key(1, 'k');
      key += std::to_string(rng() % 50);
      o[key] = value(depth + 1);
    }
    return o;
  };
  for (int round = 0; round < 300; ++round) {
    const nlohmann::json doc = {{"a", value(0)}, {"b", round}, {"c", value(0)}, {"d", value(2)}};
    const std::string text = doc.dump(round % 3 == 0 ? 1 : -1);
    auto m = SliceJsonObject(text);
    ASSERT_TRUE(m.has_value()) << text;
    ASSERT_EQ(m->size(), doc.size()) << text;
    for (const auto& [key, raw] : *m)
      EXPECT_EQ(nlohmann::json::parse(raw), doc[std::string(key)]) << key << " of " << text;
  }
}

// JsonNumberLength follows RFC 8259's number grammar: the length of the number a text starts
// with, 0 for what is no number, and whether it is written as an integer.
TEST(JsonSlice, NumberLengthFollowsTheGrammar) {
  struct Case {
    const char* text;
    size_t length;
    bool integer;
  };
  for (const Case& c :
       {Case{"0", 1, true}, Case{"-0", 2, true}, Case{"123,", 3, true}, Case{"-12.50]", 6, false},
        Case{"1e5", 3, false}, Case{"1E+05 ", 5, false}, Case{"2.5e-3}", 6, false},
        Case{"01", 1, true}, Case{"1.5.2", 3, false}, Case{"12345678901234567890123", 23, true}}) {
    bool integer = !c.integer;
    EXPECT_EQ(JsonNumberLength(c.text, &integer), c.length) << c.text;
    EXPECT_EQ(integer, c.integer) << c.text;
  }
  for (const char* none : {"", "-", "+1", ".5", "1.", "1.e3", "1e", "1e+", "-.5", "e5", "NaN",
                           "Infinity", "-Infinity", "null", "\"1\""})
    EXPECT_EQ(JsonNumberLength(none), 0u) << none;
}

}  // namespace
}  // namespace s1mple
