// The submission of an adaptive search (optimization_config.search method tpe or halving;
// PLANS.md "search"): trials are proposed from recorded results, one job at a time, into a sweep
// whose jobs the broker dispatches while it is still open (SUBMIT_BEGIN dispatch_open,
// docs/PROTOCOL.md), and the sweep is committed after the last trial.
//
// A TrialProposer says, for trial j, how many leading trials must be final before it proposes
// j, and proposes j from exactly those results. Both searches follow that rule:
//   - halving (producer/halving.h): a rung's trials see every result of the rungs before it;
//   - tpe: trial j is proposed (producer/tpe.h) from
//   - the results of trials 0 .. j - L - 1, in trial order (L = search.in_flight), and
//   - the points of trials j - L .. j - 1, as proposals in flight (a constant liar),
// so the proposer waits until trials 0 .. j - L - 1 are final (done, or failed for good) and then
// no later result can change trial j. Backtests are bit-identical wherever they run, so the trial
// sequence is a function of the plan alone: the same for every run of the plan with the same
// seed, embedded or on any runners, whatever order results arrive in, and after a kill -9
// anywhere. No sampler state is stored: a resumed session replays the proposals of the jobs the
// broker already holds from the stored results (checking each against the stored overrides),
// then carries on.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "producer/expansion.h"
#include "producer/submission.h"
#include "producer/tpe.h"
#include "transport/client.h"

namespace s1mple::producer {

// One proposal: the configuration (grid index) and, for halving, its rung.
struct ProposedTrial {
  uint64_t grid_index = 0;
  uint32_t rung = 0;
};

// A sampler that proposes trial j from the final results of trials 0 .. Visible(j) - 1. The
// session asks in trial order (Visible(j), then Propose(j), then j + 1); the answers must depend
// on nothing but the plan and those results, so replaying a stored sweep proposes the same.
class TrialProposer {
 public:
  virtual ~TrialProposer() = default;
  virtual const char* name() const = 0;     // "tpe" | "halving" (progress lines)
  virtual uint64_t max_trials() const = 0;  // an upper bound on the trials
  virtual uint64_t Visible(uint64_t trial) const = 0;
  // `observed`: the results of trials 0 .. Visible(trial) - 1, in trial order (their `point`
  // left empty). nullopt ends the search.
  virtual std::optional<ProposedTrial> Propose(uint64_t trial,
                                               const std::vector<TpeObservation>& observed) = 0;
};

// The proposer of an adaptive space's search (tpe or halving).
std::unique_ptr<TrialProposer> MakeTrialProposer(const JobSpace& space);

struct AdaptiveOptions {
  std::function<bool()> interrupted;  // SIGINT: stop at once (IsInterrupted())
  bool progress = false;              // a line every few trials on stderr
  int poll_ms = 20;                   // how often to ask for results while waiting
};

// The space of an adaptive sweep with its trials (JobSpace::WithTrials). Replays the `stored`
// jobs the broker holds (never waiting: their inputs were final when they were submitted), then,
// with a channel, proposes and submits trials from `stored` on, waiting for results as the
// proposer's rule says, until it ends the search, and commits. Without a channel (outputs of a
// sweep as it stands), only the replay. FailedPrecondition when a stored job is not the proposal
// the plan makes (the plan, the data or the sampler changed since it was submitted).
[[nodiscard]] Result<JobSpace> RunAdaptiveSearch(transport::Client& reader, BrokerChannel* channel,
                                                 const std::string& sweep, const JobSpace& space,
                                                 uint64_t stored, const AdaptiveOptions& options);

}  // namespace s1mple::producer
