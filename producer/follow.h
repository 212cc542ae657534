// Following a running sweep (the tail of every sweep session): the progress line (a bar on a
// terminal, a line every 5 s otherwise), the best run so far among those that meet the plan's
// constraints, and the one stall a session can explain (a store that cannot write).
//
// Not thread-safe: the session's thread follows with its own client.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "producer/expansion.h"
#include "producer/sweep_site.h"
#include "protocol/messages.h"
#include "transport/client.h"

namespace s1mple::producer {

// The best primary-metric value among finished runs, reading new results as they land (only
// their metrics and causality travel). The same rule as optimization_result.json's
// best_configuration (producer/analysis.h): only runs that meet every constraint, by the plan's
// direction, the lower index on a tie.
class BestSoFar {
 public:
  explicit BestSoFar(const JobSpace& space);
  void Poll(transport::Client& client, const std::string& sweep);
  // "best sharpe_ratio 1.23 (run 17)", "no run meets the constraints yet (3 do not)" or "".
  std::string Describe() const;

 private:
  void Consider(const protocol::ResultItem& item);

  const JobSpace& space_;
  std::vector<bool> seen_;
  uint64_t low_water_ = 0;
  std::optional<uint64_t> best_index_;
  double best_value_ = 0;
  uint64_t ineligible_ = 0;  // finished runs that break a constraint
};

// Why a sweep does not move although jobs are left: tag for the progress line, detail (what
// happened and what to do) for a line of its own. Empty: it moves, or nothing is known.
struct Stall {
  std::string tag;
  std::string detail;
};

// Watches for a store that cannot write (a full disk). Embedded: the store itself says it
// stopped writing (SweepSite::StoreWriteStatus). Remote: the broker's `store_errors` counter
// grew while no job finished.
class StallWatch {
 public:
  StallWatch(std::string sweep, std::string resume_flags);
  Stall Check(SweepSite& site, const protocol::SweepStatus& st,
              const std::map<std::string, uint64_t>& counters);

 private:
  std::string sweep_;
  std::string resume_flags_;
  std::optional<uint64_t> baseline_;  // store_errors when jobs last finished
  uint64_t finished_at_error_ = 0;
};

// The status of one sweep, or NotFound; with the broker's counters when asked.
[[nodiscard]] Result<protocol::SweepStatus> SweepStatusOf(
    transport::Client& client, const std::string& sweep,
    std::map<std::string, uint64_t>* counters = nullptr);

enum class FollowEnd { kFinished, kInterrupted, kLost };

struct FollowOptions {
  bool progress = true;      // print the progress line (stderr)
  std::string resume_flags;  // what `s1mple resume SWEEP` needs besides the id (--store, ...)
  std::function<bool()> interrupted;  // true once the user asked to stop (SIGINT)
  // Prints "s1mple: error: ..." (the CLI's error line) when the broker is lost.
  std::function<void(const std::string&)> print_error;
};

// Follows `sweep` until every job is DONE or FAILED (or it is cancelled), an interruption, or
// the broker stops answering (three failed STATUS in a row).
FollowEnd Follow(transport::Client& client, SweepSite& site, const std::string& sweep,
                 const JobSpace& space, const FollowOptions& options);

}  // namespace s1mple::producer
