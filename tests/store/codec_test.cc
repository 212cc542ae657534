// The stored byte layout of job records (store/codec.h): what older stores hold still reads,
// and the uncounted-attempts field round-trips.
#include "store/codec.h"

#include <gtest/gtest.h>

namespace s1mple::store::codec {
namespace {

JobRecord SampleJob() {
  JobRecord job;
  job.state = JobState::kPending;
  job.attempt = 4;
  job.history.push_back(AttemptRecord{1, "r1", "lease expired", 10});
  job.history.push_back(AttemptRecord{2, "local", "returned", 20});
  job.overrides = "{\"fast\":3}";
  return job;
}

TEST(StoreCodec, JobWithoutUncountedAttemptsKeepsTheVersion1Layout) {
  JobRecord job = SampleJob();
  std::string bytes = EncodeJob(job);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes[0], 1) << "records without uncounted attempts must stay readable by old builds";
  JobRecord back;
  ASSERT_TRUE(DecodeJob(bytes, &back).ok());
  EXPECT_EQ(back.attempt, 4u);
  EXPECT_EQ(back.uncounted_attempts, 0u);
  EXPECT_EQ(back.counted_attempts(), 4u);
}

TEST(StoreCodec, UncountedAttemptsRoundTripAsVersion2) {
  JobRecord job = SampleJob();
  job.uncounted_attempts = 2;
  std::string bytes = EncodeJob(job);
  EXPECT_EQ(bytes[0], 2);
  JobRecord back;
  ASSERT_TRUE(DecodeJob(bytes, &back).ok());
  EXPECT_EQ(back.uncounted_attempts, 2u);
  EXPECT_EQ(back.counted_attempts(), 2u);
  EXPECT_EQ(back.history.size(), 2u);
  EXPECT_EQ(back.overrides, job.overrides);
  // Truncated (the trailing varint missing) or an unknown version: Corruption, not a guess.
  bytes.pop_back();
  EXPECT_TRUE(DecodeJob(bytes, &back).IsCorruption());
  std::string v3 = EncodeJob(job);
  v3[0] = 3;
  EXPECT_TRUE(DecodeJob(v3, &back).IsCorruption());
}

}  // namespace
}  // namespace s1mple::store::codec
