// The one table of sweep and job states, kinds and artifact roles (common/vocabulary.h): every
// value has one spelling, the same in the store, on the wire (protocol version 2, docs/
// PROTOCOL.md "States on the wire"), in the Trade Explorer's API and the CLI, and each spelling
// reads back to its value.
#include "common/vocabulary.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace s1mple {
namespace {

TEST(Vocabulary, EverySweepStateHasOneSpellingThatReadsBack) {
  const SweepState all[] = {SweepState::kSubmitting, SweepState::kActive, SweepState::kPaused,
                            SweepState::kCancelled, SweepState::kDone};
  std::set<std::string_view> names;
  for (SweepState s : all) {
    EXPECT_EQ(SweepStateFromName(Name(s)), s) << Name(s);
    names.insert(Name(s));
  }
  EXPECT_EQ(names,
            (std::set<std::string_view>{"submitting", "active", "paused", "cancelled", "done"}));
  // Protocol version 1's other spellings are not states any more.
  for (const char* old : {"open", "running", "complete", "DONE", "SUBMITTING", ""})
    EXPECT_FALSE(SweepStateFromName(old).has_value()) << old;
}

TEST(Vocabulary, EveryJobStateHasOneSpellingThatReadsBack) {
  const JobState all[] = {JobState::kPending, JobState::kLeased, JobState::kDone,
                          JobState::kFailed};
  std::set<std::string_view> names;
  for (JobState s : all) {
    EXPECT_EQ(JobStateFromName(Name(s)), s) << Name(s);
    names.insert(Name(s));
  }
  EXPECT_EQ(names, (std::set<std::string_view>{"pending", "leased", "done", "failed"}));
  for (const char* old : {"running", "LEASED", "FAILED"})
    EXPECT_FALSE(JobStateFromName(old).has_value()) << old;
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
