// The one table of sweep and job states, kinds and artifact roles (common/vocabulary.h): every
// value has one spelling per layer, each spelling reads back to its value, and the wire
// spellings are protocol version 1's (docs/PROTOCOL.md, "States on the wire").
#include "common/vocabulary.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace s1mple {
namespace {

TEST(Vocabulary, EverySweepStateHasOneSpellingPerLayerThatReadsBack) {
  const SweepState all[] = {SweepState::kSubmitting, SweepState::kActive, SweepState::kPaused,
                            SweepState::kCancelled, SweepState::kDone};
  std::set<std::string_view> store, wire, api;
  for (SweepState s : all) {
    EXPECT_EQ(SweepStateFromWire(WireName(s)), s) << WireName(s);
    store.insert(StoreName(s));
    wire.insert(WireName(s));
    api.insert(ApiName(s));
  }
  EXPECT_EQ(store.size(), 5u);
  EXPECT_EQ(wire.size(), 5u);
  EXPECT_EQ(api.size(), 5u);
  // Protocol version 1's spellings: older peers depend on them.
  EXPECT_EQ(WireName(SweepState::kSubmitting), "open");
  EXPECT_EQ(WireName(SweepState::kActive), "running");
  EXPECT_EQ(WireName(SweepState::kDone), "complete");
  EXPECT_EQ(StoreName(SweepState::kDone), "DONE");
  EXPECT_EQ(ApiName(SweepState::kActive), "active");
  EXPECT_FALSE(SweepStateFromWire("DONE").has_value());
  EXPECT_FALSE(SweepStateFromWire("").has_value());
}

TEST(Vocabulary, EveryJobStateHasOneSpellingPerLayerThatReadsBack) {
  const JobState all[] = {JobState::kPending, JobState::kLeased, JobState::kDone,
                          JobState::kFailed};
  std::set<std::string_view> wire;
  for (JobState s : all) {
    EXPECT_EQ(JobStateFromWire(WireName(s)), s) << WireName(s);
    wire.insert(WireName(s));
  }
  EXPECT_EQ(wire.size(), 4u);
  EXPECT_EQ(WireName(JobState::kLeased), "running");
  EXPECT_EQ(ApiName(JobState::kLeased), "leased");
  EXPECT_EQ(StoreName(JobState::kFailed), "FAILED");
}

TEST(Vocabulary, KindsAndRolesAreSpelledTheSameEverywhere) {
  for (SweepKind k : {SweepKind::kOptimization, SweepKind::kVariant, SweepKind::kDiag}) {
    EXPECT_EQ(SweepKindFromName(Name(k)), k) << Name(k);
  }
  EXPECT_FALSE(SweepKindFromName("Optimization").has_value());
  for (JobKind k : {JobKind::kBacktest, JobKind::kDiag}) EXPECT_EQ(JobKindFromName(Name(k)), k);
  EXPECT_EQ(JobKindOf(SweepKind::kDiag), JobKind::kDiag);
  EXPECT_EQ(JobKindOf(SweepKind::kVariant), JobKind::kBacktest);
  std::set<std::string_view> roles;
  for (ArtifactRole r : kArtifactRoles) {
    EXPECT_EQ(ArtifactRoleFromName(Name(r)), r) << Name(r);
    roles.insert(Name(r));
  }
  EXPECT_EQ(roles, (std::set<std::string_view>{"operation", "blueprint", "operators", "data"}));
}

}  // namespace
}  // namespace s1mple
