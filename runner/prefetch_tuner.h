// The runner's adaptive prefetch (its default; `s1mple runner --prefetch N` fixes the depth
// instead): how many jobs to hold queued beyond the slots.
//
// A slot that finishes a job waits one broker round trip (the broker's durable commit of the
// result, then the next JOB) unless a job is already queued. For 1 ms jobs that wait is most of
// the slot's time; for a 10-minute backtest it is nothing, and a queued 10-minute job is one that
// another runner could have started. So the depth follows the jobs: about kWindowUs of work per
// slot is kept queued, from a moving average of the jobs' run times,
//   depth = clamp(floor(slots * kWindowUs / average run time), 0, kMaxDepth),
// so jobs of 25 ms and longer are not prefetched at all, 1.5 ms jobs get 16 per slot and
// trivial ones kMaxDepth. Before the first job has finished the depth is 0 (today's behaviour
// for long jobs). Whatever is queued can still be taken back: a runner with a free slot and
// nothing left to lease gets a busy runner's queued jobs (broker REVOKE, docs/PROTOCOL.md), so a
// queue never keeps a job from an idle runner, and at most kWindowUs of work per slot waits in
// one.
//
// The depth changes only by a factor of 2 or more, or to or from 0 (no READY per job), and is
// announced to the broker with READY on the same connection (new credit and queue). Not
// thread-safe: the runner's loop thread owns it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

namespace s1mple::runner {

class PrefetchTuner {
 public:
  static constexpr double kWindowUs = 25'000;  // queued work per slot
  static constexpr uint32_t kMaxDepth = 64;    // the queue never holds more than this
  static constexpr double kAlpha = 0.2;        // weight of the newest run time

  // `fixed`: a depth given by the user (never changed); nullopt: adaptive.
  PrefetchTuner(uint32_t slots, std::optional<uint32_t> fixed)
      : slots_(std::max<uint32_t>(1, slots)), fixed_(fixed), depth_(fixed.value_or(0)) {}

  bool adaptive() const { return !fixed_.has_value(); }
  // The depth in force (what READY announces as `queue`).
  uint32_t depth() const { return depth_; }
  // The moving average of run times (microseconds); 0 before the first.
  double average_us() const { return average_us_; }

  // A job ran for `us` microseconds. True when depth() changed and is to be announced.
  bool OnJobFinished(uint64_t us) {
    if (fixed_) return false;
    const double x = std::max<double>(1.0, static_cast<double>(us));
    average_us_ = average_us_ == 0 ? x : average_us_ + kAlpha * (x - average_us_);
    const uint32_t want = Target(average_us_);
    const bool change = (want == 0) != (depth_ == 0) || want >= 2 * depth_ || 2 * want <= depth_;
    if (!change || want == depth_) return false;
    depth_ = want;
    return true;
  }

  // The depth for jobs of `average_us` on this runner's slots.
  uint32_t Target(double average_us) const {
    const double d = slots_ * kWindowUs / std::max(1.0, average_us);
    return static_cast<uint32_t>(std::clamp(d, 0.0, static_cast<double>(kMaxDepth)));
  }

 private:
  uint32_t slots_;
  std::optional<uint32_t> fixed_;
  uint32_t depth_;
  double average_us_ = 0;
};

}  // namespace s1mple::runner
