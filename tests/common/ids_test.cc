// Sweep ids, runner ids and artifact hashes are distinct types (common/ids.h): one cannot be
// passed for another, while the text they come from converts to each and each reads as text.
#include "common/ids.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <type_traits>
#include <unordered_set>

namespace s1mple {
namespace {

static_assert(!std::is_convertible_v<RunnerId, SweepId>);
static_assert(!std::is_convertible_v<SweepId, RunnerId>);
static_assert(!std::is_convertible_v<ArtifactHash, SweepId>);
static_assert(!std::is_convertible_v<SweepId, ArtifactHash>);
static_assert(!std::is_constructible_v<SweepId, RunnerId>);
static_assert(std::is_convertible_v<std::string, SweepId>);
static_assert(std::is_convertible_v<const char*, RunnerId>);
static_assert(std::is_convertible_v<SweepId, const std::string&>);
static_assert(std::is_convertible_v<SweepId, std::string_view>);

// An overload set the way the store's API is: the type picks the function.
int Which(const SweepId&) {
  return 1;
}
int Which(const RunnerId&) {
  return 2;
}

TEST(Ids, EachKindIsItsOwnTypeAndReadsAsItsText) {
  const SweepId sweep = std::string("sw-0123456789ab");
  const RunnerId runner = "runner-7";
  EXPECT_EQ(Which(sweep), 1);
  EXPECT_EQ(Which(runner), 2);
  EXPECT_EQ(sweep, "sw-0123456789ab");
  EXPECT_EQ(sweep.str(), "sw-0123456789ab");
  EXPECT_EQ("sweep " + sweep + " of " + runner, "sweep sw-0123456789ab of runner-7");
  std::ostringstream out;
  out << sweep;
  EXPECT_EQ(out.str(), "sw-0123456789ab");
  const std::string_view text = sweep;
  EXPECT_EQ(text.size(), 15u);
}

TEST(Ids, OrderAndHashAreThoseOfTheText) {
  std::map<SweepId, int> by_id{{"sw-b", 2}, {"sw-a", 1}};
  EXPECT_EQ(by_id.begin()->first, "sw-a");
  EXPECT_LT(SweepId("sw-a"), SweepId("sw-b"));
  std::unordered_set<ArtifactHash> hashes{"ab", "ab", "cd"};
  EXPECT_EQ(hashes.size(), 2u);
}

}  // namespace
}  // namespace s1mple
