// The submission of an adaptive search (optimization_config.search method tpe; PLANS.md
// "search"): trials are proposed from recorded results, one job at a time, into a sweep whose
// jobs the broker dispatches while it is still open (SUBMIT_BEGIN dispatch_open,
// docs/PROTOCOL.md), and the sweep is committed after the last trial.
//
// The rule that makes it reproducible: trial j is proposed (producer/tpe.h) from
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
#include <string>
#include <vector>

#include "common/status.h"
#include "producer/expansion.h"
#include "producer/submission.h"
#include "transport/client.h"

namespace s1mple::producer {

struct AdaptiveOptions {
  std::function<bool()> interrupted;  // SIGINT: stop at once (IsInterrupted())
  bool progress = false;              // a line every few trials on stderr
  int poll_ms = 20;                   // how often to ask for results while waiting
};

// The trials (grid indexes) of an adaptive sweep. Replays the `stored` jobs the broker holds
// (never waiting: their inputs were final when they were submitted), then, with a channel,
// proposes and submits trials stored .. budget - 1, waiting for results as the rule says, and
// commits. Without a channel (outputs of a sweep as it stands), only the replay.
// FailedPrecondition when a stored job is not the proposal the plan makes (the plan, the data
// or the sampler changed since it was submitted).
[[nodiscard]] Result<std::vector<uint64_t>> RunAdaptiveSearch(
    transport::Client& reader, BrokerChannel* channel, const std::string& sweep,
    const JobSpace& space, uint64_t stored, const AdaptiveOptions& options);

}  // namespace s1mple::producer
