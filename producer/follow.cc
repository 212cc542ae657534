#include "producer/follow.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <thread>

#include "common/vocabulary.h"
#include "producer/analysis.h"
#include "producer/result_fields.h"

namespace s1mple::producer {

namespace {

using Clock = std::chrono::steady_clock;

std::string Duration(double seconds) {
  if (!(seconds >= 0) || !std::isfinite(seconds)) return "--:--";
  auto s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return buf;
}

std::string FreeSpace(const std::string& dir) {
  struct statvfs v {};
  if (::statvfs(dir.c_str(), &v) != 0) return "";
  const double mib =
      static_cast<double>(v.f_bavail) * static_cast<double>(v.f_frsize) / (1024.0 * 1024.0);
  char buf[64];
  std::snprintf(buf, sizeof buf, " (%.1f MiB free on its disk)", mib);
  return buf;
}

// A progress bar on a terminal (redrawn in place on stderr), plain lines otherwise.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), tty_(::isatty(STDERR_FILENO) == 1) {}

  // `stall`, when set, says why the sweep does not move (a store that stopped writing): its
  // detail is printed once on a line of its own, its tag on every progress line.
  void Update(const protocol::SweepStatus& s, const std::string& best, bool force = false,
              const Stall& stall = {}) {
    if (!enabled_) return;
    if (stall.tag != last_stall_) {  // the detail once per stall (its free space may change)
      force = true;
      last_stall_ = stall.tag;
      if (!stall.detail.empty()) {
        if (tty_ && drawn_) std::cerr << "\n";
        std::cerr << "s1mple: " << stall.detail << "\n";
        drawn_ = false;
      }
    }
    const uint64_t finished = s.done + s.failed;
    const auto now = Clock::now();
    if (!tty_ && !force && now - last_line_ < std::chrono::seconds(5) && finished != s.total)
      return;
    last_line_ = now;
    const double frac = s.total ? static_cast<double>(finished) / static_cast<double>(s.total) : 1;
    std::ostringstream line;
    if (tty_) {
      constexpr int kWidth = 28;
      const int filled = static_cast<int>(frac * kWidth);
      line << "\r\033[K[" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "] ";
    }
    char pct[16];
    std::snprintf(pct, sizeof pct, "%5.1f%%", frac * 100);
    // The broker's rate is over its recent samples; before the first sample (or for a sweep
    // that finished within one) it is 0: then the rate this session saw is shown instead.
    if (!seen_any_) {
      seen_any_ = true;
      first_seen_ = now;
      first_finished_ = finished;
    }
    double jobs_per_s = s.rate;
    const double seen_s = std::chrono::duration<double>(now - first_seen_).count();
    if (jobs_per_s <= 0 && seen_s > 0.2 && finished > first_finished_)
      jobs_per_s = static_cast<double>(finished - first_finished_) / seen_s;
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f jobs/s", jobs_per_s);
    line << finished << "/" << s.total << " " << pct << "  " << rate << "  ETA "
         << Duration(stall.tag.empty() ? s.eta_s : -1) << "  failed " << s.failed;
    if (SweepStateFromName(s.state) == SweepState::kPaused) line << "  (paused)";
    if (!best.empty()) line << "  " << best;
    if (!stall.tag.empty()) line << "  STALLED: " << stall.tag;
    if (tty_) {
      std::cerr << line.str() << std::flush;
      drawn_ = true;
    } else {
      std::cerr << line.str() << "\n";
    }
  }
  void Done() {
    if (enabled_ && tty_ && drawn_) std::cerr << "\n";
    drawn_ = false;
  }

 private:
  bool enabled_;
  bool tty_;
  bool drawn_ = false;
  Clock::time_point last_line_{};
  std::string last_stall_;
  bool seen_any_ = false;  // the first update: when, and how many jobs had finished by then
  Clock::time_point first_seen_{};
  uint64_t first_finished_ = 0;
};

}  // namespace

BestSoFar::BestSoFar(const JobSpace& space) : space_(space), seen_(space.size(), false) {}

void BestSoFar::Poll(transport::Client& client, const std::string& sweep) {
  uint64_t after = low_water_;
  for (int pages = 0; pages < 20; ++pages) {
    // Only the small blocks Consider reads travel (the equity curve and trades stay behind).
    auto page = client.GetResults(sweep, after, 500, false, {"metrics", "causality"});
    if (!page.ok()) return;
    for (const auto& item : page->items) {
      if (item.index >= seen_.size() || seen_[item.index]) continue;
      seen_[item.index] = true;
      if (JobStateFromName(item.state) == JobState::kDone) Consider(item);
    }
    if (page->end || page->items.empty()) break;
    after = page->next;
  }
  while (low_water_ < seen_.size() && seen_[low_water_]) ++low_water_;
}

std::string BestSoFar::Describe() const {
  if (!best_index_) {
    return ineligible_ > 0
               ? "no run meets the constraints yet (" + std::to_string(ineligible_) + " do not)"
               : "";
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", best_value_);
  if (const FoldSchedule* folds = space_.schedule()) {
    return "best in-sample " + space_.plan().targets.primary_metric + " " + buf + " (run " +
           std::to_string(*best_index_) + ", fold " +
           std::to_string(folds->segments[space_.SegmentOf(*best_index_)].fold) + ")";
  }
  return "best " + space_.plan().targets.primary_metric + " " + buf + " (run " +
         std::to_string(*best_index_) + ")";
}

void BestSoFar::Consider(const protocol::ResultItem& item) {
  // With validation folds only in-sample runs are candidates (an OOS run is never selected);
  // CPCV groups are no candidates by themselves.
  if (const FoldSchedule* folds = space_.schedule()) {
    if (folds->segments[space_.SegmentOf(item.index)].kind != SegmentKind::kInSample) return;
  }
  // Halving: the best is judged at full fidelity (the last rung) only.
  if (space_.ladder() && space_.FidelityOf(item.index) < 1.0) return;
  // Only the small blocks MetricValue reads; the equity curve and trades are skipped unparsed.
  auto result = ParseResultFields(item.result, {"metrics", "causality"});
  if (result.is_discarded()) return;
  // The same rule as optimization_result.json's best_configuration (producer/analysis.h):
  // only runs that meet every constraint, by the plan's direction, the lower index on a tie.
  if (!CheckConstraints(space_.plan(), result).ok) {
    ++ineligible_;
    return;
  }
  auto v = MetricValue(result, space_.plan().targets.primary_metric);
  if (!v || !std::isfinite(*v)) return;
  const bool better =
      !best_index_ || (space_.plan().targets.maximize ? *v > best_value_ : *v < best_value_);
  if (better) {
    best_value_ = *v;
    best_index_ = item.index;
  }
}

StallWatch::StallWatch(std::string sweep, std::string resume_flags)
    : sweep_(std::move(sweep)), resume_flags_(std::move(resume_flags)) {}

Stall StallWatch::Check(SweepSite& site, const protocol::SweepStatus& st,
                        const std::map<std::string, uint64_t>& counters) {
  const uint64_t finished = st.done + st.failed;
  if (site.embedded()) {
    const Status w = site.StoreWriteStatus();
    if (w.ok()) return {};
    const std::string dir = site.store_dir();
    return {"the store cannot write (disk full?)", "the job store " + dir + FreeSpace(dir) +
                                                       " stopped writing, so finished jobs "
                                                       "cannot be recorded (" +
                                                       w.message() +
                                                       "). Free disk space, then press Ctrl-C "
                                                       "and continue with: s1mple resume " +
                                                       sweep_ + resume_flags_};
  }
  auto it = counters.find("store_errors");
  const uint64_t errors = it == counters.end() ? 0 : it->second;
  if (!baseline_ || finished > finished_at_error_) {
    baseline_ = errors;  // progress since the last error: not stalled
    finished_at_error_ = finished;
    return {};
  }
  if (errors <= *baseline_) return {};
  return {"the broker's store cannot write (disk full?)",
          "the broker failed " + std::to_string(errors - *baseline_) +
              " writes to its job store and no job finished since (counter store_errors): its "
              "disk is probably full. Free disk space on the broker's machine and restart the "
              "broker (runners resend their results); this session carries on when it answers"};
}

Result<protocol::SweepStatus> SweepStatusOf(transport::Client& client, const std::string& sweep,
                                            std::map<std::string, uint64_t>* counters) {
  auto st = client.GetStatus(sweep);
  if (!st.ok()) return st.status();
  if (counters) *counters = st->counters;
  for (auto& s : st->sweeps) {
    if (s.sweep == sweep) return s;
  }
  return Status::NotFound("no sweep " + sweep + " at this broker");
}

// Follows a sweep until every job is DONE or FAILED (or it is cancelled), SIGINT, or the broker
// stops answering.
FollowEnd Follow(transport::Client& client, SweepSite& site, const std::string& sweep,
                 const JobSpace& space, const FollowOptions& options) {
  auto interrupted = [&] { return options.interrupted && options.interrupted(); };
  Progress progress(options.progress);
  BestSoFar best(space);
  StallWatch stall(sweep, options.resume_flags);
  std::map<std::string, uint64_t> counters;
  auto last_best = Clock::now() - std::chrono::seconds(10);
  int failures = 0;
  while (true) {
    if (interrupted()) {
      progress.Done();
      return FollowEnd::kInterrupted;
    }
    auto st = SweepStatusOf(client, sweep, &counters);
    if (!st.ok()) {
      if (++failures >= 3) {
        progress.Done();
        if (options.print_error)
          options.print_error("lost the broker while following " + sweep + ": " +
                              st.status().message());
        return FollowEnd::kLost;
      }
      continue;
    }
    failures = 0;
    const bool about_done = st->pending + st->running == 0;
    if (about_done || Clock::now() - last_best >= std::chrono::seconds(2)) {
      best.Poll(client, sweep);
      last_best = Clock::now();
    }
    const std::optional<SweepState> state = SweepStateFromName(st->state);
    const bool finished = state == SweepState::kDone || state == SweepState::kCancelled ||
                          (state != SweepState::kSubmitting && st->pending + st->running == 0 &&
                           st->done + st->failed >= st->total);
    progress.Update(*st, best.Describe(), finished,
                    finished ? Stall{} : stall.Check(site, *st, counters));
    if (finished) {
      progress.Done();
      return FollowEnd::kFinished;
    }
    for (int i = 0; i < 10 && !interrupted(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

}  // namespace s1mple::producer
