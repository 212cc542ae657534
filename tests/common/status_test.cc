// Status: callers branch on codes and sub-codes, never on message text.
#include "common/status.h"

#include <gtest/gtest.h>

namespace s1mple {
namespace {

TEST(Status, SubCodeSurvivesContext) {
  const Status s = Status::PeerUnreachable("peer unreachable").WithContext("sending JOB");
  EXPECT_TRUE(s.IsUnavailable());
  EXPECT_TRUE(s.IsPeerUnreachable());
  EXPECT_FALSE(s.IsWouldBlock());
  EXPECT_EQ(s.message(), "sending JOB: peer unreachable");
}

TEST(Status, EachShorthandHasItsCodeAndPredicate) {
  EXPECT_TRUE(Status::WouldBlock("x").IsUnavailable());
  EXPECT_TRUE(Status::WouldBlock("x").IsWouldBlock());
  EXPECT_TRUE(Status::TimedOut("x").IsTimedOut());
  EXPECT_TRUE(Status::Interrupted("x").IsInterrupted());
  EXPECT_TRUE(Status::NoSpace("x").IsIOError());
  EXPECT_TRUE(Status::NoSpace("x").IsNoSpace());
  EXPECT_TRUE(Status::BadConfig("x").IsInvalidArgument());
  EXPECT_TRUE(Status::BadConfig("x").IsBadConfig());
  EXPECT_TRUE(Status::FailedPrecondition("x", Status::SubCode::kRefused).IsRefused());
  EXPECT_TRUE(Status::FailedPrecondition("x", Status::SubCode::kLockHeld).IsLockHeld());
  // A plain error has no sub-code, whatever its text says.
  EXPECT_FALSE(Status::Unavailable("peer unreachable").IsPeerUnreachable());
  EXPECT_EQ(Status::IOError("No space left on device").subcode(), Status::SubCode::kNone);
}

}  // namespace
}  // namespace s1mple
