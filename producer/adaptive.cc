#include "producer/adaptive.h"

#include <chrono>
#include <cmath>
#include <iostream>
#include <optional>
#include <thread>
#include <unordered_set>

#include "common/vocabulary.h"
#include "producer/analysis.h"
#include "producer/halving.h"
#include "producer/result_fields.h"
#include "producer/tpe.h"

namespace s1mple::producer {

namespace {

// What the proposer knows of the sweep's jobs: each job's observation once it is final.
class Ledger {
 public:
  Ledger(transport::Client& reader, std::string sweep, const JobSpace& space)
      : reader_(reader), sweep_(std::move(sweep)), space_(space) {}

  // Reads every job from the first not yet final on; fills the finals.
  Status Refresh() {
    uint64_t after = first_open_;
    for (;;) {
      auto page = reader_.GetResults(sweep_, after, 1000, /*include_pending=*/true,
                                     {"metrics", "causality"});
      if (!page.ok()) return page.status().WithContext("reading the results of " + sweep_);
      for (auto& item : page->items) {
        if (item.index >= overrides_.size()) overrides_.resize(item.index + 1);
        overrides_[item.index] = item.overrides;
        const auto state = JobStateFromName(item.state);
        if (state != JobState::kDone && state != JobState::kFailed) continue;
        if (item.index >= final_.size()) final_.resize(item.index + 1);
        if (final_[item.index]) continue;
        TpeObservation o;
        if (state == JobState::kFailed) {
          o.failed = true;
        } else {
          const auto result = ParseResultFields(item.result, {"metrics", "causality"});
          const auto v = result.is_discarded()
                             ? std::nullopt
                             : MetricValue(result, space_.plan().targets.primary_metric);
          o.failed = !v || !std::isfinite(*v);
          if (!o.failed) {
            o.value = *v;
            o.feasible = CheckConstraints(space_.plan(), result).ok;
          }
        }
        final_[item.index] = std::move(o);
      }
      while (first_open_ < final_.size() && final_[first_open_]) ++first_open_;
      if (page->end) break;
      after = page->next;
    }
    return Status::Ok();
  }

  // Whether jobs 0 .. n-1 are all final.
  bool FinalUpTo(uint64_t n) const { return first_open_ >= n; }
  const TpeObservation& at(uint64_t i) const { return *final_[i]; }
  const std::string& overrides(uint64_t i) const { return overrides_.at(i); }
  uint64_t known() const { return overrides_.size(); }

 private:
  transport::Client& reader_;
  std::string sweep_;
  const JobSpace& space_;
  std::vector<std::optional<TpeObservation>> final_;
  std::vector<std::string> overrides_;
  uint64_t first_open_ = 0;
};

// TPE (producer/tpe.h): trial j sees the results of trials 0 .. j - in_flight - 1 and the
// points of the later ones as pending.
class TpeProposer : public TrialProposer {
 public:
  explicit TpeProposer(const JobSpace& space)
      : plan_(space.plan()),
        tpe_(space.plan(), Options(space.plan())),
        budget_(std::min(space.plan().search.budget, space.grid_size())),
        lag_(space.plan().search.in_flight) {}

  const char* name() const override { return "tpe"; }
  uint64_t max_trials() const override { return budget_; }
  uint64_t Visible(uint64_t trial) const override { return trial > lag_ ? trial - lag_ : 0; }

  std::optional<ProposedTrial> Propose(uint64_t trial,
                                       const std::vector<TpeObservation>& results) override {
    if (trial >= budget_) return std::nullopt;
    std::vector<TpeObservation> observed = results;
    for (size_t i = 0; i < observed.size(); ++i) observed[i].point = points_[i];
    const std::vector<std::vector<uint64_t>> pending(
        points_.begin() + static_cast<std::ptrdiff_t>(observed.size()), points_.end());
    auto point =
        tpe_.Propose(trial, observed, pending, [&](uint64_t g) { return taken_.count(g) > 0; });
    if (!point) return std::nullopt;  // every configuration is taken
    const uint64_t g = tpe_.GridIndex(*point);
    points_.push_back(PointOfGridIndex(plan_, tpe_.layout(), g));
    taken_.insert(g);
    return ProposedTrial{g, 0};
  }

 private:
  static TpeOptions Options(const Plan& plan) {
    TpeOptions to;
    to.seed = plan.search.seed;
    to.startup_trials = plan.search.startup_trials;
    to.candidates = plan.search.candidates;
    to.maximize = plan.targets.maximize;
    return to;
  }
  const Plan& plan_;
  const TpeSampler tpe_;
  const uint64_t budget_;
  const uint64_t lag_;
  std::vector<std::vector<uint64_t>> points_;
  std::unordered_set<uint64_t> taken_;
};

}  // namespace

std::unique_ptr<TrialProposer> MakeTrialProposer(const JobSpace& space) {
  if (space.plan().search.method == SearchMethod::kHalving)
    return std::make_unique<HalvingProposer>(space.plan(), space.grid_size());
  return std::make_unique<TpeProposer>(space);
}

Result<JobSpace> RunAdaptiveSearch(transport::Client& reader, BrokerChannel* channel,
                                   const std::string& sweep, const JobSpace& space, uint64_t stored,
                                   const AdaptiveOptions& options) {
  const std::unique_ptr<TrialProposer> proposer = MakeTrialProposer(space);
  Ledger ledger(reader, sweep, space);
  S1MPLE_RETURN_IF_ERROR(ledger.Refresh());
  std::vector<uint64_t> trials;
  std::vector<uint32_t> rungs;
  const auto started = std::chrono::steady_clock::now();
  for (uint64_t j = 0;; ++j) {
    const bool replay = j < stored;
    if (!replay && channel == nullptr) break;
    const uint64_t visible = proposer->Visible(j);
    // Wait until the results this proposal may see are final.
    while (!ledger.FinalUpTo(visible)) {
      if (replay) {
        return Status::FailedPrecondition(
            "sweep " + sweep + ": job " + std::to_string(j) +
            " is stored, but the results it was proposed from are not all final");
      }
      if (options.interrupted && options.interrupted())
        return Status::Interrupted("interrupted while waiting for results to propose trial " +
                                   std::to_string(j) + " of " + sweep);
      std::this_thread::sleep_for(std::chrono::milliseconds(options.poll_ms));
      S1MPLE_RETURN_IF_ERROR(ledger.Refresh());
    }
    std::vector<TpeObservation> observed;
    observed.reserve(visible);
    for (uint64_t i = 0; i < visible; ++i) observed.push_back(ledger.at(i));
    auto trial = proposer->Propose(j, observed);
    if (!trial) {
      if (replay) {
        return Status::FailedPrecondition(
            "sweep " + sweep + ": job " + std::to_string(j) +
            " is stored, but this plan's search ends before it (was the plan, its data or s1mple "
            "changed since it was submitted?)");
      }
      break;
    }
    trials.push_back(trial->grid_index);
    rungs.push_back(trial->rung);
    const std::string overrides = space.TrialOverrides(trial->grid_index, trial->rung).dump();
    if (replay) {
      if (j >= ledger.known() || ledger.overrides(j) != overrides) {
        return Status::FailedPrecondition(
            "sweep " + sweep + ": stored job " + std::to_string(j) +
            " is not the trial this plan proposes there (was the plan, its data or s1mple "
            "changed since it was submitted?)");
      }
      continue;
    }
    protocol::SubmitJobs jobs;
    jobs.sweep = sweep;
    jobs.first_index = j;
    jobs.overrides = {overrides};
    auto r = channel->Call(jobs);
    if (!r.ok())
      return r.status().WithContext("submitting trial " + std::to_string(j) + " of " + sweep);
    if (options.progress && (j + 1) % 10 == 0) {
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::cerr << proposer->name() << ": " << (j + 1) << "/" << proposer->max_trials()
                << " trials proposed (" << visible << " results seen, " << static_cast<int>(s)
                << " s)\n";
    }
  }
  if (channel != nullptr) {
    if (channel->interrupted())
      return Status::Interrupted("interrupted before committing " + sweep);
    protocol::SubmitCommit commit;
    commit.sweep = sweep;
    commit.total = trials.size();
    auto r = channel->Call(commit);
    if (!r.ok()) return r.status().WithContext("committing " + sweep);
  }
  return space.WithTrials(std::move(trials), std::move(rungs));
}

}  // namespace s1mple::producer
