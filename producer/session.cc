#include "producer/session.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "common/iso_time.h"
#include "common/sha256.h"
#include "common/vocabulary.h"
#include "producer/adaptive.h"
#include "producer/follow.h"
#include "producer/halving.h"
#include "producer/outputs.h"
#include "producer/plan_loader.h"
#include "producer/plan_summary.h"
#include "producer/submission.h"
#include "producer/validation.h"
#include "protocol/requests.h"

namespace s1mple::producer {

namespace {

using Clock = std::chrono::steady_clock;

// ---- SIGINT -----------------------------------------------------------------------------------

std::atomic<bool> g_interrupted{false};

extern "C" void OnInterrupt(int) {
  g_interrupted.store(true);
}

bool Interrupted() {
  return g_interrupted.load();
}

// Installs the SIGINT/SIGTERM handler for the session's lifetime (restores the old one).
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted.store(false);
    struct sigaction sa {};
    sa.sa_handler = OnInterrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~InterruptGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// ---- small things ------------------------------------------------------------------------------

std::string ShellQuoteIfNeeded(const std::string& s) {
  if (s.find_first_of(" '\"$\\") == std::string::npos) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string LocationFlags(const SweepLocation& where) {
  if (!where.broker.empty()) return " --broker " + ShellQuoteIfNeeded(where.broker);
  if (where.store_dir == ".s1mple") return "";
  return " --store " + ShellQuoteIfNeeded(where.store_dir.string());
}

void Error(const SessionOptions& options, const std::string& message) {
  if (options.print_error)
    options.print_error(message);
  else
    std::cerr << "error: " << message << "\n";
}

SessionEnd EndFor(const Status& s) {
  return s.IsInvalidArgument() || s.IsNotFound() ? SessionEnd::kUsage : SessionEnd::kFailure;
}

// ---- connection --------------------------------------------------------------------------------

// The sweep's site and a client connected to its broker.
struct Connection {
  std::unique_ptr<SweepSite> site;
  std::unique_ptr<transport::Client> client;
};

// One try of a submission request waits this long for its reply before it is sent again on a
// new connection (a broker restarted meanwhile answers the resend); the whole wait is bounded
// by ChannelOptions::give_up_after_ms.
constexpr int kSubmitTryMs = 5000;

// A channel for the requests that are safe to resend (PUT, SUBMIT_*): survives a broker restart.
BrokerChannel SubmitChannel(const Connection& conn) {
  transport::ClientOptions o = conn.site->client_options();
  o.timeout_ms = kSubmitTryMs;
  ChannelOptions co;
  co.interrupted = Interrupted;
  return BrokerChannel([o] { return transport::Client::Connect(o); }, o.endpoint, co);
}

Result<Connection> Connect(const SweepLocation& where, const SessionOptions& options,
                           bool start_runner) {
  if (!options.sites) return Status::Internal("the sweep session was given no SiteFactory");
  SiteRequest req;
  req.broker = where.broker;
  req.store_dir = where.store_dir;
  req.local_runners = where.local_runners;
  req.start_runner = start_runner;
  req.key = options.key;
  req.server_key = options.server_key;
  req.http = options.http;
  req.http_public = options.http_public;
  auto site = options.sites(req);
  if (!site.ok()) return site.status();
  Connection conn;
  conn.site = std::move(site).value();
  auto client = transport::Client::Connect(conn.site->client_options());
  if (!client.ok())
    return client.status().WithContext("broker " + conn.site->client_options().endpoint);
  conn.client = std::move(client).value();
  return conn;
}

// The job space of a stored sweep: from the plan text the broker keeps, or from --plan.
Result<std::shared_ptr<const JobSpace>> SpaceOf(Connection& conn, const std::string& sweep,
                                                const std::filesystem::path& plan_file) {
  PlanLoadOptions load;
  load.require_base_operation = false;  // outputs need the dimensions, not the base
  Result<Plan> plan = Status::Internal("unset");
  if (!plan_file.empty()) {
    plan = LoadPlanFile(plan_file, load);
  } else {
    auto text = conn.client->GetPlan(sweep);
    if (!text.ok()) return text.status();
    plan = ParsePlanText(text.value(), "sweep " + sweep + " plan", load);
  }
  if (!plan.ok()) return plan.status();
  // Validation folds: cut from the data range the sweep was submitted with (its plan summary).
  std::shared_ptr<const FoldSchedule> schedule;
  if (plan->validation.mode != ValidationMode::kNone) {
    auto stored = protocol::GetSweepPlan(conn.client->Caller(), sweep);
    if (!stored.ok()) return stored.status();
    const auto summary = nlohmann::json::parse(stored->summary, nullptr, false);
    if (summary.is_discarded() || !summary.contains("validation"))
      return Status::InvalidArgument("sweep " + sweep +
                                     ": its plan has validation folds but the sweep keeps no "
                                     "data range (plan summary) to cut them from");
    auto range = DataRangeFromJson(summary["validation"].value("data_range", nlohmann::json()));
    if (!range.ok()) return range.status().WithContext("sweep " + sweep + " plan summary");
    auto cut = MakeSchedule(plan->validation, *range, plan->origin());
    if (!cut.ok()) return cut.status();
    schedule = std::make_shared<const FoldSchedule>(std::move(cut).value());
  }
  // Halving rungs: cut from the data range the sweep was submitted with, likewise.
  std::shared_ptr<const HalvingLadder> ladder;
  if (plan->search.method == SearchMethod::kHalving) {
    auto stored = protocol::GetSweepPlan(conn.client->Caller(), sweep);
    if (!stored.ok()) return stored.status();
    const auto summary = nlohmann::json::parse(stored->summary, nullptr, false);
    if (summary.is_discarded() || !summary.contains("halving"))
      return Status::InvalidArgument("sweep " + sweep +
                                     ": its plan is a halving search but the sweep keeps no "
                                     "data range (plan summary) to cut its rungs from");
    auto range = DataRangeFromJson(summary["halving"].value("data_range", nlohmann::json()));
    if (!range.ok()) return range.status().WithContext("sweep " + sweep + " plan summary");
    auto rungs = MakeHalvingLadder(plan->search, *range, plan->origin());
    if (!rungs.ok()) return rungs.status();
    ladder = std::make_shared<const HalvingLadder>(std::move(rungs).value());
  }
  auto space =
      JobSpace::Make(std::make_shared<const Plan>(std::move(plan).value()), schedule, ladder);
  if (!space.ok()) return space.status();
  return std::make_shared<const JobSpace>(std::move(space).value());
}

// ---- follow and outputs ------------------------------------------------------------------------

// Follows `sweep` to its end and writes its outputs (the tail of every session).
SessionEnd FollowAndWrite(Connection& conn, const SweepLocation& where, const std::string& sweep,
                          const JobSpace& space, const std::filesystem::path& out_dir,
                          const SessionOptions& options) {
  if (!conn.site->explorer_url().empty())
    std::cerr << "Trade Explorer: " << conn.site->explorer_url() << "#/sweep/" << sweep << "\n";
  FollowOptions fo;
  fo.progress = !options.no_progress;
  fo.resume_flags = LocationFlags(where);
  fo.interrupted = Interrupted;
  fo.print_error = [&options](const std::string& m) { Error(options, m); };
  const FollowEnd end = Follow(*conn.client, *conn.site, sweep, space, fo);
  if (end == FollowEnd::kInterrupted) {
    std::cerr << "interrupted: every finished job is recorded; continue with: s1mple resume "
              << sweep << LocationFlags(where) << "\n";
    conn.site->Stop();
    return SessionEnd::kInterrupted;
  }
  if (end == FollowEnd::kLost) return SessionEnd::kFailure;
  const auto dir = OutDirFor(out_dir, sweep);
  auto summary = WriteOutputs(*conn.client, *conn.site, sweep, space, dir, options.returns);
  if (!summary.ok()) {
    Error(options, summary.status().message());
    return SessionEnd::kFailure;
  }
  PrintOutcome(sweep, dir, space, summary.value());
  // Some failed runs are data (a plan may hold configurations that cannot trade); a sweep in
  // which nothing succeeded is a failure of the command.
  if (summary->value("successful_runs", 0) == 0 && summary->value("failed_runs", 0) > 0) {
    Error(options, "every run of " + sweep + " failed; see the reasons in " +
                       (dir / "results.csv").string());
    return SessionEnd::kFailure;
  }
  return SessionEnd::kOk;
}

// ---- submission --------------------------------------------------------------------------------

// Shows how a long submission advances (1,000,000 jobs take a while): redrawn on a terminal,
// a line every 5 s otherwise; nothing for a submission that takes under 2 s.
class SubmitMeter {
 public:
  explicit SubmitMeter(bool enabled) : enabled_(enabled), tty_(::isatty(STDERR_FILENO) == 1) {}
  ~SubmitMeter() {
    if (drawn_ && tty_) std::cerr << "\n";
  }
  void operator()(uint64_t stored, uint64_t total) {
    const auto now = Clock::now();
    if (!enabled_ || now - start_ < std::chrono::seconds(2)) return;
    if (!tty_ && now - last_ < std::chrono::seconds(5) && stored != total) return;
    last_ = now;
    std::cerr << (tty_ ? "\r\033[K" : "") << "submitting: " << stored << "/" << total << " jobs"
              << (tty_ ? "" : "\n") << std::flush;
    drawn_ = true;
  }

 private:
  bool enabled_;
  bool tty_;
  bool drawn_ = false;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_{};
};

// What the user sees when a submission did not complete: interrupted or failed, with the
// command that finishes it once the sweep exists.
SessionEnd SubmissionFailed(Connection& conn, const SweepLocation& where, const std::string& sweep,
                            const Status& s, const SessionOptions& options) {
  if (Interrupted()) {
    if (sweep.empty()) {
      std::cerr << "interrupted before the sweep was created: nothing was submitted\n";
    } else {
      std::cerr << "interrupted during the submission of " << sweep
                << ": the jobs sent so far are stored; continue with: s1mple resume " << sweep
                << LocationFlags(where) << " (or run the identical plan again)\n";
    }
    conn.site->Stop();
    return SessionEnd::kInterrupted;
  }
  Error(options,
        "submitting the sweep: " + s.message() +
            (sweep.empty() ? std::string()
                           : "; the jobs sent so far are stored: continue with: s1mple resume " +
                                 sweep + LocationFlags(where)));
  return SessionEnd::kFailure;
}

// An adaptive sweep's trials, into `space`: replays the jobs the broker stores and, when the
// submission is still open and `submit`, proposes and submits the rest and commits
// (producer/adaptive.h). A non-adaptive space is left as it is.
Status ResolveTrials(Connection& conn, const std::string& sweep,
                     std::shared_ptr<const JobSpace>& space, bool submit, bool progress) {
  if (!space->adaptive()) return Status::Ok();
  auto st = SweepStatusOf(*conn.client, sweep);
  if (!st.ok()) return st.status();
  uint64_t stored = st->total;
  if (auto s = conn.site->Stored(sweep)) stored = s->job_count;
  const bool open = SweepStateFromName(st->state) == SweepState::kSubmitting;
  AdaptiveOptions ao;
  ao.interrupted = Interrupted;
  ao.progress = progress;
  std::optional<BrokerChannel> channel;
  if (submit && open) channel.emplace(SubmitChannel(conn));
  auto trials =
      RunAdaptiveSearch(*conn.client, channel ? &*channel : nullptr, sweep, *space, stored, ao);
  if (!trials.ok()) return trials.status();
  space = std::make_shared<const JobSpace>(std::move(trials).value());
  return Status::Ok();
}

// Brings a stored sweep back to running: finishes its submission, resumes it when paused.
Status Reactivate(Connection& conn, const std::string& sweep,
                  std::shared_ptr<const JobSpace>& shared_space, bool progress) {
  if (shared_space->adaptive()) {
    S1MPLE_RETURN_IF_ERROR(ResolveTrials(conn, sweep, shared_space, /*submit=*/true, progress));
  }
  const JobSpace& space = *shared_space;
  auto st = SweepStatusOf(*conn.client, sweep);
  if (!st.ok()) return st.status();
  const std::optional<SweepState> state = SweepStateFromName(st->state);
  if (state == SweepState::kCancelled) return Status::FailedPrecondition(sweep + " was cancelled");
  if (state == SweepState::kSubmitting && !space.adaptive()) {
    uint64_t have = st->total;
    if (auto stored = conn.site->Stored(sweep)) have = stored->job_count;
    std::cerr << "finishing the interrupted submission of " << sweep << " (" << have << "/"
              << space.size() << " jobs stored)\n";
    auto channel = SubmitChannel(conn);
    SubmitMeter meter(true);
    SubmitOptions sopts;
    sopts.on_batch = std::ref(meter);
    S1MPLE_RETURN_IF_ERROR(SendJobsAndCommit(channel, sweep, space, have, sopts));
  } else if (state == SweepState::kPaused) {
    S1MPLE_RETURN_IF_ERROR(conn.client->Control(sweep, protocol::ControlAction::kResume));
  }
  return Status::Ok();
}

// The base artifacts of a prepared sweep: role -> bytes, content-addressed by the caller.
Result<std::map<std::string, std::string>> BaseArtifacts(const PreparedSweep& prepared) {
  std::map<std::string, std::string> blobs;
  blobs[std::string(Name(ArtifactRole::kOperation))] = prepared.base.operation_yaml;
  blobs[std::string(Name(ArtifactRole::kBlueprint))] = prepared.base.blueprint_yaml;
  blobs[std::string(Name(ArtifactRole::kOperators))] = prepared.base.operators_yaml;
  if (!prepared.base.data_path.empty()) {
    std::ifstream f(prepared.base.data_path, std::ios::binary);
    if (!f)
      return Status::InvalidArgument(prepared.base.data_path.string() +
                                     ": cannot read the data file");
    std::stringstream ss;
    ss << f.rdbuf();
    blobs[std::string(Name(ArtifactRole::kData))] = ss.str();
  }
  // The plugin packages, by file name: their hashes are part of the sweep's identity.
  for (const auto& ref : prepared.base.packages) {
    std::ifstream f(ref.path, std::ios::binary);
    if (!f)
      return Status::InvalidArgument(ref.named_by + ": " + ref.path.string() +
                                     ": cannot read the plugin package");
    std::stringstream ss;
    ss << f.rdbuf();
    blobs[kRolePluginPrefix + ref.name] = ss.str();
  }
  return blobs;
}

}  // namespace

SessionEnd RunSweepSession(const SweepRequest& request, const SessionOptions& options) {
  InterruptGuard guard;
  const PreparedSweep& prepared = *request.sweep;
  const Plan& plan = *prepared.plan;
  if (options.detach && request.broker.empty()) {
    Error(options, "--detach needs --broker: an embedded sweep runs only while this process runs");
    return SessionEnd::kUsage;
  }

  auto blobs = BaseArtifacts(prepared);
  if (!blobs.ok()) {
    Error(options, blobs.status().message());
    return SessionEnd::kUsage;
  }
  std::map<std::string, std::string> artifacts;
  std::vector<std::string> artifact_bytes;
  for (auto& [role, bytes] : *blobs) {
    artifacts[role] = Sha256Hex(bytes);
    artifact_bytes.push_back(std::move(bytes));
  }
  blobs->clear();

  SweepLocation where;
  where.broker = request.broker;
  where.store_dir = request.store_dir;
  // One local slot per core by default; the plan's max_workers caps it (the broker also caps
  // the sweep's concurrent leases at max_workers, whoever the runners are).
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  where.local_runners = request.local_runners > 0 ? request.local_runners : cores;
  if (plan.parallel.max_workers > 0 && request.local_runners <= 0)
    where.local_runners = std::min(where.local_runners, plan.parallel.max_workers);
  auto conn = Connect(where, options, /*start_runner=*/true);
  if (!conn.ok()) {
    Error(options, conn.status().message());
    return EndFor(conn.status());
  }
  auto space = prepared.space;

  // The identical plan already in this store: resume it, or take the results of its finished
  // sweep, rather than start over (DESIGN decision 7: nothing recorded is run again; results are
  // deterministic). Reusing the finished one also covers a session killed between its last
  // result and its outputs. --fresh runs it again as a new sweep.
  if (!options.fresh) {
    if (auto found = conn->site->FindIdentical(Sha256Hex(plan.text), artifacts)) {
      if (found->state == SweepState::kDone) {
        std::cerr << "sweep " << found->id << " of this plan finished on "
                  << FormatIsoTime(found->created_ms) << " (created); writing its outputs "
                  << "(--fresh runs the plan again as a new sweep)\n";
      } else {
        std::cerr << "resuming unfinished sweep " << found->id << " of this plan ("
                  << found->finished << "/" << space->size() << " jobs finished)\n";
      }
      Status s = Reactivate(*conn, found->id, space, !options.no_progress);
      if (!s.ok()) return SubmissionFailed(*conn, where, found->id, s, options);
      return FollowAndWrite(*conn, where, found->id, *space, request.out_dir, options);
    }
  }

  protocol::SweepSpec spec;
  spec.name = plan.name;
  spec.kind = PlanKindName(plan.kind);
  spec.plan = plan.text;
  spec.summary = PlanSummaryText(*space);
  spec.artifacts = artifacts;
  spec.max_workers =
      plan.parallel.max_workers > 0 ? static_cast<uint32_t>(plan.parallel.max_workers) : 0;
  spec.timeout_ms = static_cast<uint64_t>(std::max(0, plan.parallel.timeout_per_run_s)) * 1000;
  // Streamed from the lazy job space, batch by batch; a broker that dies meanwhile gets the
  // unanswered request again once it is back, and an open sweep of this plan that another
  // (cut-off) submission left is finished instead of starting a second one.
  Submission submission;
  if (space->adaptive()) {
    // TPE, halving: an open sweep whose jobs run as they are proposed (producer/adaptive.h).
    if (options.detach) {
      Error(options, std::string("--detach: a ") + SearchMethodName(plan.search.method) +
                         " search proposes its trials from results while it runs, so "
                         "its producer must stay until the last trial is proposed");
      return SessionEnd::kUsage;
    }
    spec.dispatch_open = true;
    auto channel = SubmitChannel(*conn);
    SubmitOptions sopts;
    sopts.commit = false;
    const std::vector<std::string> none;
    Status s = SubmitSweep(channel, spec, artifact_bytes, OverridesList(none), sopts, &submission);
    if (!s.ok()) return SubmissionFailed(*conn, where, submission.sweep, s, options);
    if (plan.search.method == SearchMethod::kHalving) {
      std::cerr << "sweep " << submission.sweep << ": halving search, " << plan.search.budget
                << " configurations, eta " << plan.search.eta << ", at most " << space->budget()
                << " jobs (" << plan.name << "), " << conn->site->Describe() << "\n";
    } else {
      std::cerr << "sweep " << submission.sweep << ": tpe search, " << space->budget()
                << " trials, " << plan.search.in_flight << " in flight (" << plan.name << "), "
                << conn->site->Describe() << "\n";
    }
    AdaptiveOptions ao;
    ao.interrupted = Interrupted;
    ao.progress = !options.no_progress;
    auto trials =
        RunAdaptiveSearch(*conn->client, &channel, submission.sweep, *space, submission.stored, ao);
    if (!trials.ok())
      return SubmissionFailed(*conn, where, submission.sweep, trials.status(), options);
    space = std::make_shared<const JobSpace>(std::move(trials).value());
    artifact_bytes.clear();
    return FollowAndWrite(*conn, where, submission.sweep, *space, request.out_dir, options);
  } else {
    auto channel = SubmitChannel(*conn);
    SubmitMeter meter(!options.no_progress && !options.detach);
    SubmitOptions sopts;
    sopts.on_batch = std::ref(meter);
    Status s =
        SubmitSweep(channel, spec, artifact_bytes, JobSpaceSource(*space), sopts, &submission);
    if (!s.ok()) return SubmissionFailed(*conn, where, submission.sweep, s, options);
  }
  artifact_bytes.clear();
  const std::string& sweep = submission.sweep;
  if (submission.resumed) {
    std::cerr << "finished the interrupted submission of " << sweep << " of this plan ("
              << submission.resumed_at << "/" << space->size() << " jobs had been stored)\n";
  }
  if (options.detach) {
    std::cout << sweep << "\n";
    return SessionEnd::kOk;
  }
  std::cerr << "sweep " << sweep << ": " << space->size() << " jobs (" << plan.name << "), "
            << conn->site->Describe() << "\n";
  return FollowAndWrite(*conn, where, sweep, *space, request.out_dir, options);
}

SessionEnd ResumeSweep(const std::string& sweep_id, const SweepLocation& where,
                       const std::filesystem::path& out_dir, const std::filesystem::path& plan_file,
                       const SessionOptions& options) {
  InterruptGuard guard;
  auto conn = Connect(where, options, /*start_runner=*/true);
  if (!conn.ok()) {
    Error(options, conn.status().message());
    return EndFor(conn.status());
  }
  auto space = SpaceOf(*conn, sweep_id, plan_file);
  if (!space.ok()) {
    Error(options, space.status().message());
    return EndFor(space.status());
  }
  Status s = Reactivate(*conn, sweep_id, *space, !options.no_progress);
  if (!s.ok()) {
    if (Interrupted()) return SubmissionFailed(*conn, where, sweep_id, s, options);
    Error(options, s.message());
    return EndFor(s);
  }
  return FollowAndWrite(*conn, where, sweep_id, **space, out_dir, options);
}

SessionEnd WriteSweepResults(const std::string& sweep_id, const SweepLocation& where,
                             const std::filesystem::path& out_dir,
                             const std::filesystem::path& plan_file,
                             const SessionOptions& options) {
  auto conn = Connect(where, options, /*start_runner=*/false);
  if (!conn.ok()) {
    Error(options, conn.status().message());
    return EndFor(conn.status());
  }
  auto status = SweepStatusOf(*conn->client, sweep_id);
  if (!status.ok()) {
    Error(options, status.status().message());
    return EndFor(status.status());
  }
  auto space = SpaceOf(*conn, sweep_id, plan_file);
  if (!space.ok()) {
    Error(options, space.status().message());
    return EndFor(space.status());
  }
  if (Status s = ResolveTrials(*conn, sweep_id, *space, /*submit=*/false, false); !s.ok()) {
    Error(options, s.message());
    return EndFor(s);
  }
  const auto dir = OutDirFor(out_dir, sweep_id);
  auto summary = WriteOutputs(*conn->client, *conn->site, sweep_id, **space, dir, options.returns);
  if (!summary.ok()) {
    Error(options, summary.status().message());
    return SessionEnd::kFailure;
  }
  PrintOutcome(sweep_id, dir, **space, summary.value());
  return SessionEnd::kOk;
}

}  // namespace s1mple::producer
