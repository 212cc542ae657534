// A Tree-structured Parzen Estimator over a plan's job space (optimization_config.search
// method tpe; PLANS.md "search"). It follows Optuna 3.1's TPESampler with its defaults
// (Bergstra et al. 2011; optuna/samplers/_tpe/sampler.py and parzen_estimator.py): univariate,
// n_startup_trials 10, n_ei_candidates 24, gamma(n) = min(ceil(n / 10), 25) observations in the
// "good" group, Optuna's default_weights (older observations ramp down past 25), a prior
// component of weight 1, and the "magic clip" of kernel widths. Each coordinate of
// producer/search.h's layout is estimated on its own, over the observations where it is active:
//   - an ordinal coordinate (a range, a list of numbers) by a mixture of Gaussians over the
//     value index, truncated to [-0.5, n - 0.5] and discretised (the mass of [x - 0.5, x + 0.5]);
//   - a categorical one (an option, a list of strings or booleans) by smoothed counts.
// It draws `candidates` values from the good group's density l and keeps the one with the
// largest l(x) / g(x), g being the density of the others.
//
// Where it differs from Optuna, on purpose:
//   - ranking: feasible trials by the primary metric, then infeasible ones (a constraint
//     broken) by the metric, then failed ones: an infeasible trial ranks below every feasible one;
//   - no configuration runs twice: a proposal that repeats a trial already made is drawn again
//     (then at random among the untried points);
//   - proposals in flight (made, not yet observed) join the bad group as a constant liar, so
//     several proposals at once do not all land on the same point.
//
// Determinism: Propose is a pure function of (options, trial, observed, pending, taken). The
// session (producer/adaptive.h) fixes what trial j sees: the results of trials 0 .. j - L - 1 in
// trial order, and the points of trials j - L .. j - 1 as pending, L being the plan's in_flight.
// Results are bit-identical wherever they run, so the whole trial sequence is a function of the
// plan alone, whatever order results arrive in and whatever was killed and resumed.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "producer/search.h"

namespace s1mple::producer {

struct TpeOptions {
  uint64_t seed = 0;
  uint64_t startup_trials = 16;  // trials drawn at random before the estimator takes over
  uint64_t candidates = 24;      // draws from l(x) per coordinate and proposal
  double prior_weight = 1.0;
  bool maximize = true;      // the primary metric's direction
  bool multivariate = true;  // one joint kernel per observation (Optuna's multivariate=True)
};

// One observed trial: its point (producer/search.h layout), its primary metric, and whether it
// met the plan's constraints. failed: the job failed (or has no metric); value is ignored.
struct TpeObservation {
  std::vector<uint64_t> point;
  double value = 0;
  bool feasible = true;
  bool failed = false;
};

class TpeSampler {
 public:
  TpeSampler(const Plan& plan, TpeOptions options);

  // The point of trial `trial`. `observed`: the trials it may learn from, in trial order;
  // `pending`: points proposed earlier and not observed yet; `taken(grid index)`: whether a trial
  // already runs that configuration. nullopt when every point of the space is taken.
  std::optional<std::vector<uint64_t>> Propose(
      uint64_t trial, const std::vector<TpeObservation>& observed,
      const std::vector<std::vector<uint64_t>>& pending,
      const std::function<bool(uint64_t grid_index)>& taken) const;

  const std::vector<SearchCoordinate>& layout() const { return layout_; }
  uint64_t GridIndex(const std::vector<uint64_t>& point) const;

 private:
  const Plan& plan_;
  std::vector<SearchCoordinate> layout_;
  TpeOptions options_;
};

}  // namespace s1mple::producer
