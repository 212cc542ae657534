// Internal to store/: the byte layout of keys and records (docs/STORE.md, "Key layout").
// Records start with a version byte; integers are varints, strings length-prefixed. Decoders
// return Corruption naming the record instead of trusting stored bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/job_store.h"

namespace s1mple::store::codec {

inline constexpr std::size_t kSweepIdLength = 15;  // "sw-" + 12 hex
bool IsValidSweepId(std::string_view id);

// jobs / dispatch / leases / results key: sweep id (15 bytes) + index (8 bytes big-endian), so
// one sweep's keys are contiguous and sorted by index.
std::string JobKey(std::string_view sweep, JobIndex index);
// Decodes the index of a JobKey; nullopt for a key of another shape.
std::optional<JobIndex> IndexOfJobKey(std::string_view key);
// Exclusive upper bound of every JobKey of `sweep`.
std::string SweepKeyEnd(std::string_view sweep);

// results column family, the summary of a result (store/result_summary.h): kSummaryTag + the
// JobKey. Sweep ids start with 's', so every summary key sorts before every result key and one
// sweep's summaries are contiguous, sorted by index; a scan of a sweep's results never sees them.
inline constexpr char kSummaryTag = '\x01';
std::string SummaryKey(std::string_view sweep, JobIndex index);

// sweeps column family: one byte tag + sweep id (+ more).
std::string SweepMetaKey(std::string_view sweep);     // 'm' id -> SweepMeta
std::string SweepCountsKey(std::string_view sweep);   // 'c' id -> JobCounts
std::string SweepPlanKey(std::string_view sweep);     // 'p' id -> plan text
std::string SweepSummaryKey(std::string_view sweep);  // 's' id -> plan summary (if any)
std::string PlanHashKey(std::string_view hash, std::string_view sweep);  // 'h' hash 0 id -> ""
inline constexpr char kMetaTag = 'm';

// The parts of SweepInfo kept in the sweep's meta record (everything but the counters).
std::string EncodeSweepMeta(const SweepInfo& info);
Status DecodeSweepMeta(std::string_view bytes, SweepInfo* info);

std::string EncodeCounts(const JobCounts& counts);
Status DecodeCounts(std::string_view bytes, JobCounts* counts);

// A job as stored in the jobs column family (the key holds sweep and index).
struct JobRecord {
  JobState state = JobState::kPending;
  Attempt attempt = 0;
  std::optional<Lease> lease;
  std::vector<AttemptRecord> history;
  std::string failure_reason;
  std::string overrides;
  // Attempts ended by ReturnOrphanLeases: started (numbered) but not counted against
  // max_attempts. <= attempt.
  Attempt uncounted_attempts = 0;
  // Attempts counted against the sweep's max_attempts.
  Attempt counted_attempts() const {
    return attempt >= uncounted_attempts ? attempt - uncounted_attempts : 0;
  }
};
std::string EncodeJob(const JobRecord& job);
Status DecodeJob(std::string_view bytes, JobRecord* job);

// leases column family value: runner, attempt, deadline.
std::string EncodeLease(const Lease& lease);
Status DecodeLease(std::string_view bytes, Lease* lease);

}  // namespace s1mple::store::codec
