#include "cli/sweep_session.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <ctime>
#include <fstream>
#include <future>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "broker/explorer_report.h"
#include "cli/local_cluster.h"
#include "producer/analysis.h"
#include "producer/plan_loader.h"
#include "producer/result_fields.h"
#include "protocol/client.h"
#include "protocol/sha256.h"
#include "protocol/transport.h"
#include "store/job_store.h"

namespace s1mple::cli {

namespace {

using Clock = std::chrono::steady_clock;

// ---- SIGINT -----------------------------------------------------------------------------------

std::atomic<bool> g_interrupted{false};

extern "C" void OnInterrupt(int) {
  g_interrupted.store(true);
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

// ---- formatting --------------------------------------------------------------------------------

std::string IsoUtc(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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

std::string ShellQuoteIfNeeded(const std::string& s) {
  if (s.find_first_of(" '\"$\\") == std::string::npos) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// ---- connection --------------------------------------------------------------------------------

// A client connected to the sweep's broker; with an embedded cluster when the sweep is local.
struct Connection {
  std::unique_ptr<LocalCluster> cluster;
  std::unique_ptr<protocol::Client> client;
  std::string broker;  // remote endpoint, empty when local
  bool local() const { return cluster != nullptr; }
};

Result<Connection> Connect(const SweepLocation& where, const SessionFlags& flags, bool start_runner,
                           const CliContext& ctx) {
  Connection conn;
  // The embedded broker and runner log their lifecycle at info; on the user's terminal that is
  // noise next to the progress bar. --log-level info brings it back.
  if (where.broker.empty() && !ctx.log_level_given) spdlog::set_level(spdlog::level::warn);
  protocol::ClientOptions copts;
  copts.timeout_ms = 60000;  // a SUBMIT batch waits for a synced store write
  if (where.broker.empty()) {
    LocalClusterOptions lopts;
    lopts.store_dir = where.store_dir;
    lopts.slots = where.local_runners > 0 ? static_cast<uint32_t>(where.local_runners) : 0;
    lopts.http = flags.http;
    lopts.http_allow_non_loopback = flags.http_public;
    lopts.start_runner = start_runner;
    auto cluster = LocalCluster::Start(lopts);
    if (!cluster.ok()) return cluster.status().WithContext("store " + where.store_dir.string());
    conn.cluster = std::move(cluster).value();
    copts.endpoint = conn.cluster->endpoint();
    copts.context = &conn.cluster->context();
  } else {
    auto security = protocol::LoadClientSecurity(flags.server_key, flags.key);
    if (!security.ok()) return security.status();
    if (!security->curve() && !protocol::IsLocalEndpoint(where.broker)) {
      return Status::InvalidArgument("--broker " + where.broker +
                                     " is not a loopback address: give --server-key and --key "
                                     "(see docs/OPERATIONS.md, \"Keys\")");
    }
    copts.endpoint = where.broker;
    copts.security = security.value();
    conn.broker = where.broker;
  }
  auto client = protocol::Client::Connect(copts);
  if (!client.ok()) return client.status().WithContext("broker " + copts.endpoint);
  conn.client = std::move(client).value();
  return conn;
}

// The status of one sweep, or NotFound.
Result<protocol::SweepStatus> SweepStatusOf(protocol::Client& client, const std::string& sweep) {
  auto st = client.GetStatus(sweep);
  if (!st.ok()) return st.status();
  for (auto& s : st->sweeps) {
    if (s.sweep == sweep) return s;
  }
  return Status::NotFound("no sweep " + sweep + " at this broker");
}

// ---- plans -------------------------------------------------------------------------------------

// The job space of a stored sweep: from the local store's plan text, or from --plan.
Result<std::shared_ptr<const producer::JobSpace>> SpaceOf(Connection& conn,
                                                          const std::string& sweep,
                                                          const std::filesystem::path& plan_file) {
  producer::PlanLoadOptions load;
  load.require_base_operation = false;  // outputs need the dimensions, not the base
  Result<producer::Plan> plan = Status::Internal("unset");
  if (!plan_file.empty()) {
    plan = producer::LoadPlanFile(plan_file, load);
  } else if (conn.local()) {
    auto text = conn.cluster->store().GetPlan(sweep);
    if (!text.ok()) return text.status();
    plan = producer::ParsePlanText(text.value(), "sweep " + sweep + " plan", load);
  } else {  // the broker keeps the plan text the sweep was submitted with
    auto text = conn.client->GetPlan(sweep);
    if (!text.ok()) return text.status();
    plan = producer::ParsePlanText(text.value(), "sweep " + sweep + " plan", load);
  }
  if (!plan.ok()) return plan.status();
  auto space =
      producer::JobSpace::Make(std::make_shared<const producer::Plan>(std::move(plan).value()));
  if (!space.ok()) return space.status();
  return std::make_shared<const producer::JobSpace>(std::move(space).value());
}

// ---- progress ----------------------------------------------------------------------------------

// Keeps the best primary-metric value among finished runs, reading new results as they land.
class BestSoFar {
 public:
  BestSoFar(const producer::JobSpace& space) : space_(space), seen_(space.size(), false) {}

  void Poll(protocol::Client& client, const std::string& sweep) {
    uint64_t after = low_water_;
    for (int pages = 0; pages < 20; ++pages) {
      // Only the small blocks Consider reads travel (the equity curve and trades stay behind).
      auto page = client.GetResults(sweep, after, 500, false, {"metrics", "causality"});
      if (!page.ok()) return;
      for (const auto& item : page->items) {
        if (item.index >= seen_.size() || seen_[item.index]) continue;
        seen_[item.index] = true;
        if (item.state == "done") Consider(item);
      }
      if (page->end || page->items.empty()) break;
      after = page->next;
    }
    while (low_water_ < seen_.size() && seen_[low_water_]) ++low_water_;
  }

  std::string Describe() const {
    if (!best_index_) return "";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4g", best_value_);
    return "best " + space_.plan().targets.primary_metric + " " + buf + " (run " +
           std::to_string(*best_index_) + ")";
  }

 private:
  void Consider(const protocol::ResultItem& item) {
    // Only the small blocks MetricValue reads; the equity curve and trades are skipped unparsed.
    auto result = producer::ParseResultFields(item.result, {"metrics", "causality"});
    if (result.is_discarded()) return;
    auto v = producer::MetricValue(result, space_.plan().targets.primary_metric);
    if (!v || !std::isfinite(*v)) return;
    const bool better =
        !best_index_ || (space_.plan().targets.maximize ? *v > best_value_ : *v < best_value_);
    if (better) {
      best_value_ = *v;
      best_index_ = item.index;
    }
  }

  const producer::JobSpace& space_;
  std::vector<bool> seen_;
  uint64_t low_water_ = 0;
  std::optional<uint64_t> best_index_;
  double best_value_ = 0;
};

// A progress bar on a terminal (redrawn in place on stderr), plain lines otherwise.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), tty_(::isatty(STDERR_FILENO) == 1) {}

  void Update(const protocol::SweepStatus& s, const std::string& best, bool force = false) {
    if (!enabled_) return;
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
         << Duration(s.eta_s) << "  failed " << s.failed;
    if (s.state == "paused") line << "  (paused)";
    if (!best.empty()) line << "  " << best;
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
  bool seen_any_ = false;  // the first update: when, and how many jobs had finished by then
  Clock::time_point first_seen_{};
  uint64_t first_finished_ = 0;
};

enum class FollowEnd { kFinished, kInterrupted, kLost };

// Follows a sweep until every job is DONE or FAILED (or it is cancelled), SIGINT, or the broker
// stops answering.
FollowEnd Follow(Connection& conn, const std::string& sweep, const producer::JobSpace& space,
                 const SessionFlags& flags) {
  Progress progress(!flags.no_progress);
  BestSoFar best(space);
  auto last_best = Clock::now() - std::chrono::seconds(10);
  int failures = 0;
  while (true) {
    if (g_interrupted.load()) {
      progress.Done();
      return FollowEnd::kInterrupted;
    }
    auto st = SweepStatusOf(*conn.client, sweep);
    if (!st.ok()) {
      if (++failures >= 3) {
        progress.Done();
        PrintError("lost the broker while following " + sweep + ": " + st.status().message());
        return FollowEnd::kLost;
      }
      continue;
    }
    failures = 0;
    const bool about_done = st->pending + st->running == 0;
    if (about_done || Clock::now() - last_best >= std::chrono::seconds(2)) {
      best.Poll(*conn.client, sweep);
      last_best = Clock::now();
    }
    const bool finished = st->state == "complete" || st->state == "cancelled" ||
                          (st->state != "open" && st->pending + st->running == 0 &&
                           st->done + st->failed >= st->total);
    progress.Update(*st, best.Describe(), finished);
    if (finished) {
      progress.Done();
      return FollowEnd::kFinished;
    }
    for (int i = 0; i < 10 && !g_interrupted.load(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

// ---- outputs -----------------------------------------------------------------------------------

// Writes results.csv, the result JSON and (local) report.html from the results the broker holds
// now, in index order. Returns the analyzer's summary.
Result<nlohmann::json> WriteOutputs(Connection& conn, const std::string& sweep,
                                    const producer::JobSpace& space,
                                    const std::filesystem::path& out_dir) {
  producer::SweepInfo info;
  info.sweep_id = sweep;
  info.finished_at = IsoUtc(NowMs());
  info.started_at = info.finished_at;
  if (conn.local()) {
    auto s = conn.cluster->store().GetSweep(sweep);
    if (s.ok()) info.started_at = IsoUtc(s->created_ms);
  }
  producer::AnalysisOptions aopts;
  aopts.out_dir = out_dir;
  auto analyzer = producer::SweepAnalyzer::Open(space, info, aopts);  // creates out_dir
  if (!analyzer.ok()) return analyzer.status();
  // report.html is built from the store on a second thread while the analyzer reads the
  // results (the store is thread-safe; after a sweep both cores are free). Waited for below, or
  // by the future's destructor on an early return.
  std::future<Status> report;
  if (conn.local()) {
    report = std::async(std::launch::async, [&conn, &sweep, &out_dir] {
      return broker::WriteReportHtml(conn.cluster->store(), sweep, out_dir / "report.html");
    });
  }
  uint64_t after = 0;
  while (true) {
    // An optimization's outputs need only the small blocks of each result (the broker sends
    // just those); a variant test's need the equity curves and trades too.
    std::vector<std::string> fields;
    if (space.plan().kind == producer::PlanKind::kOptimization)
      fields = {"metrics", "causality", "period", "bars"};
    auto page = conn.client->GetResults(sweep, after, 1000, false, fields);
    if (!page.ok()) return page.status().WithContext("results of " + sweep);
    for (const auto& item : page->items) {
      producer::JobOutcome outcome;
      outcome.index = item.index;
      outcome.attempts = static_cast<int>(std::max<uint32_t>(1, item.attempts));
      if (item.state == "done") {
        outcome.ok = true;
        // An optimization's outputs use the metrics, causality and period of each run; a
        // variant test's also its equity curve.
        outcome.result = space.plan().kind == producer::PlanKind::kOptimization
                             ? producer::ParseResultFields(
                                   item.result, {"metrics", "causality", "period", "bars"})
                             : nlohmann::json::parse(item.result, nullptr, false);
        if (outcome.result.is_discarded()) {
          outcome.ok = false;
          outcome.failure_reason = "stored result is not JSON";
        }
      } else if (item.state == "failed") {
        outcome.failure_reason = item.error;
      } else {
        continue;
      }
      S1MPLE_RETURN_IF_ERROR((*analyzer)->Add(outcome));
    }
    if (page->end || page->items.empty()) break;
    after = page->next;
  }
  auto summary = (*analyzer)->Finish();
  if (!summary.ok()) return summary.status();
  if (report.valid()) {
    Status s = report.get();
    if (!s.ok()) spdlog::warn("report.html not written: {}", s.ToString());
  }
  return summary;
}

void PrintOutcome(const std::string& sweep, const std::filesystem::path& out_dir,
                  const producer::JobSpace& space, const nlohmann::json& summary, bool local) {
  const bool variant = space.plan().kind == producer::PlanKind::kVariant;
  std::cout << "sweep " << sweep << ": " << summary.value("successful_runs", 0) << " succeeded, "
            << summary.value("failed_runs", 0) << " failed";
  if (summary.contains("missing_runs") && summary["missing_runs"].is_number() &&
      summary["missing_runs"].get<int64_t>() > 0)
    std::cout << ", " << summary["missing_runs"].get<int64_t>() << " not finished";
  std::cout << "\n";
  if (!variant && summary.contains("best_configuration") &&
      summary["best_configuration"].is_object()) {
    const auto& b = summary["best_configuration"];
    std::cout << "best by " << space.plan().targets.primary_metric << ": run "
              << b.value("run_id", std::string("?"));
    if (b.contains("metrics") && b["metrics"].contains(space.plan().targets.primary_metric))
      std::cout << " (" << b["metrics"][space.plan().targets.primary_metric].dump() << ")";
    if (b.contains("configuration")) std::cout << "  " << b["configuration"].dump();
    std::cout << "\n";
  }
  if (variant && summary.contains("comparative_analysis"))
    std::cout << "comparison: " << summary["comparative_analysis"].dump() << "\n";
  const auto json_name = variant ? producer::SweepAnalyzer::kVariantJsonName
                                 : producer::SweepAnalyzer::kOptimizationJsonName;
  std::cout << "outputs in " << out_dir.string() << "/: results.csv (pandas.read_csv), "
            << json_name << (local ? ", report.html (open in a browser)" : "") << "\n";
}

std::filesystem::path OutDirFor(const std::filesystem::path& out_dir, const std::string& sweep) {
  return out_dir.empty() ? std::filesystem::path("runs") / sweep : out_dir;
}

std::string LocationFlags(const Connection& conn, const SweepLocation& where) {
  if (!conn.local()) return " --broker " + ShellQuoteIfNeeded(where.broker);
  if (where.store_dir == ".s1mple") return "";
  return " --store " + ShellQuoteIfNeeded(where.store_dir.string());
}

// Follows `sweep` to its end and writes its outputs (the tail of every session).
int FollowAndWrite(Connection& conn, const SweepLocation& where, const std::string& sweep,
                   const producer::JobSpace& space, const std::filesystem::path& out_dir,
                   const SessionFlags& flags) {
  if (conn.local() && !conn.cluster->http_url().empty())
    std::cerr << "Trade Explorer: " << conn.cluster->http_url() << "#/sweep/" << sweep << "\n";
  FollowEnd end = Follow(conn, sweep, space, flags);
  if (end == FollowEnd::kInterrupted) {
    std::cerr << "interrupted: every finished job is recorded; continue with: s1mple resume "
              << sweep << LocationFlags(conn, where) << "\n";
    if (conn.cluster) conn.cluster->Stop();
    return kExitInterrupted;
  }
  if (end == FollowEnd::kLost) return kExitFailure;
  const auto dir = OutDirFor(out_dir, sweep);
  auto summary = WriteOutputs(conn, sweep, space, dir);
  if (!summary.ok()) {
    PrintError(summary.status().message());
    return kExitFailure;
  }
  PrintOutcome(sweep, dir, space, summary.value(), conn.local());
  // Some failed runs are data (a plan may hold configurations that cannot trade); a sweep in
  // which nothing succeeded is a failure of the command.
  if (summary->value("successful_runs", 0) == 0 && summary->value("failed_runs", 0) > 0) {
    PrintError("every run of " + sweep + " failed; see the reasons in " +
               (dir / "results.csv").string());
    return kExitFailure;
  }
  return kExitOk;
}

// Sends the jobs job_count.. of a sweep still SUBMITTING, then commits it.
Status FinishSubmission(protocol::Client& client, const std::string& sweep,
                        const producer::JobSpace& space, uint64_t have) {
  constexpr uint64_t kBatch = 2000;
  for (uint64_t first = have; first < space.size(); first += kBatch) {
    protocol::SubmitJobs jobs;
    jobs.sweep = sweep;
    jobs.first_index = first;
    for (uint64_t i = first; i < std::min(space.size(), first + kBatch); ++i)
      jobs.overrides.push_back(space.Overrides(i).dump());
    auto r = client.Call(jobs);
    if (!r.ok()) return r.status().WithContext("submitting jobs of " + sweep);
    if (g_interrupted.load()) return Status::Unavailable("interrupted while submitting");
  }
  protocol::SubmitCommit commit;
  commit.sweep = sweep;
  commit.total = space.size();
  auto r = client.Call(commit);
  return r.ok() ? Status::Ok() : r.status().WithContext("committing " + sweep);
}

// An unfinished sweep in the local store made from the identical plan and base artifacts.
std::optional<store::SweepInfo> FindUnfinished(
    store::JobStore& store, const std::string& plan_text,
    const std::map<std::string, std::string>& artifacts) {
  for (const auto& s : store.FindSweepsByPlanHash(protocol::Sha256Hex(plan_text))) {
    const bool unfinished = s.state == store::SweepState::kSubmitting ||
                            s.state == store::SweepState::kActive ||
                            s.state == store::SweepState::kPaused;
    if (unfinished && s.base_artifacts == artifacts) return s;
  }
  return std::nullopt;
}

// Brings a stored sweep back to running: finishes its submission, resumes it when paused.
Status Reactivate(Connection& conn, const std::string& sweep, const producer::JobSpace& space) {
  auto st = SweepStatusOf(*conn.client, sweep);
  if (!st.ok()) return st.status();
  if (st->state == "cancelled") return Status::FailedPrecondition(sweep + " was cancelled");
  if (st->state == "open") {
    uint64_t have = st->total;
    if (conn.local()) {
      auto info = conn.cluster->store().GetSweep(sweep);
      if (info.ok()) have = info->job_count;
    }
    std::cerr << "finishing the interrupted submission of " << sweep << " (" << have << "/"
              << space.size() << " jobs stored)\n";
    S1MPLE_RETURN_IF_ERROR(FinishSubmission(*conn.client, sweep, space, have));
  } else if (st->state == "paused") {
    S1MPLE_RETURN_IF_ERROR(conn.client->Control(sweep, protocol::ControlAction::kResume));
  }
  return Status::Ok();
}

int ExitFor(const Status& s) {
  return s.IsInvalidArgument() || s.IsNotFound() ? kExitUsage : kExitFailure;
}

}  // namespace

void AddSessionFlags(CLI::App* sub, SessionFlags& flags, bool with_detach) {
  sub->add_option("--key", flags.key, "our secret key file (NAME.key) for a CurveZMQ broker");
  sub->add_option("--server-key", flags.server_key,
                  "the broker's public key (Z85 text or a .pub file)");
  if (with_detach)
    sub->add_flag("--detach", flags.detach,
                  "with --broker: submit, print the sweep id alone on stdout, and exit");
  sub->add_option("--http", flags.http,
                  "embedded mode: serve the Trade Explorer at HOST:PORT while the sweep runs");
  sub->add_flag("--http-public", flags.http_public, "allow a non-loopback --http address");
  sub->add_flag("--no-progress", flags.no_progress, "print no progress");
}

int RunSweepSession(const producer::SweepRequest& request, const SessionFlags& flags,
                    CliContext& ctx) {
  InterruptGuard guard;
  const producer::PreparedSweep& prepared = *request.sweep;
  const producer::Plan& plan = *prepared.plan;
  if (flags.detach && request.broker.empty()) {
    PrintError("--detach needs --broker: an embedded sweep runs only while this process runs");
    return kExitUsage;
  }

  // The base artifacts, content-addressed.
  std::map<std::string, std::string> blobs;
  blobs[producer::kRoleOperation] = prepared.base.operation_yaml;
  blobs[producer::kRoleBlueprint] = prepared.base.blueprint_yaml;
  blobs[producer::kRoleOperators] = prepared.base.operators_yaml;
  if (!prepared.base.data_path.empty()) {
    std::ifstream f(prepared.base.data_path, std::ios::binary);
    if (!f) {
      PrintError(prepared.base.data_path.string() + ": cannot read the data file");
      return kExitUsage;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    blobs[producer::kRoleData] = ss.str();
  }
  std::map<std::string, std::string> artifacts;
  for (const auto& [role, bytes] : blobs) artifacts[role] = protocol::Sha256Hex(bytes);

  SweepLocation where;
  where.broker = request.broker;
  where.store_dir = request.store_dir;
  // One local slot per core by default; the plan's max_workers caps it (the broker also caps
  // the sweep's concurrent leases at max_workers, whoever the runners are).
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  where.local_runners = request.local_runners > 0 ? request.local_runners : cores;
  if (plan.parallel.max_workers > 0 && request.local_runners <= 0)
    where.local_runners = std::min(where.local_runners, plan.parallel.max_workers);
  auto conn = Connect(where, flags, /*start_runner=*/true, ctx);
  if (!conn.ok()) {
    PrintError(conn.status().message());
    return ExitFor(conn.status());
  }
  const auto space = prepared.space;

  // An identical plan already in this store and unfinished: resume it rather than start over.
  if (conn->local()) {
    if (auto found = FindUnfinished(conn->cluster->store(), plan.text, artifacts)) {
      std::cerr << "resuming unfinished sweep " << found->id << " of this plan ("
                << found->counts.done + found->counts.failed << "/" << space->size()
                << " jobs finished)\n";
      Status s = Reactivate(*conn, found->id, *space);
      if (!s.ok()) {
        PrintError(s.message());
        return kExitFailure;
      }
      return FollowAndWrite(*conn, where, found->id, *space, request.out_dir, flags);
    }
  }

  for (const auto& [role, bytes] : blobs) {
    auto put = conn->client->PutArtifact(bytes);
    if (!put.ok()) {
      PrintError("uploading " + role + ": " + put.status().message());
      return kExitFailure;
    }
  }
  protocol::SweepSpec spec;
  spec.name = plan.name;
  spec.kind = producer::PlanKindName(plan.kind);
  spec.plan = plan.text;
  spec.artifacts = artifacts;
  spec.max_workers =
      plan.parallel.max_workers > 0 ? static_cast<uint32_t>(plan.parallel.max_workers) : 0;
  spec.timeout_ms = static_cast<uint64_t>(std::max(0, plan.parallel.timeout_per_run_s)) * 1000;
  std::vector<std::string> overrides;
  overrides.reserve(space->size());
  for (uint64_t i = 0; i < space->size(); ++i) overrides.push_back(prepared.OverridesBytes(i));
  auto sweep = conn->client->SubmitSweep(spec, overrides);
  overrides.clear();
  overrides.shrink_to_fit();
  if (!sweep.ok()) {
    PrintError("submitting the sweep: " + sweep.status().message());
    return kExitFailure;
  }
  if (flags.detach) {
    std::cout << sweep.value() << "\n";
    return kExitOk;
  }
  std::cerr << "sweep " << sweep.value() << ": " << space->size() << " jobs (" << plan.name << ")"
            << (conn->local() ? ", " + std::to_string(conn->cluster->slots()) + " local slots"
                              : ", broker " + request.broker)
            << "\n";
  return FollowAndWrite(*conn, where, sweep.value(), *space, request.out_dir, flags);
}

int ResumeSweep(const std::string& sweep_id, const SweepLocation& where,
                const std::filesystem::path& out_dir, const std::filesystem::path& plan_file,
                const SessionFlags& flags, CliContext& ctx) {
  InterruptGuard guard;
  auto conn = Connect(where, flags, /*start_runner=*/true, ctx);
  if (!conn.ok()) {
    PrintError(conn.status().message());
    return ExitFor(conn.status());
  }
  auto space = SpaceOf(*conn, sweep_id, plan_file);
  if (!space.ok()) {
    PrintError(space.status().message());
    return ExitFor(space.status());
  }
  Status s = Reactivate(*conn, sweep_id, **space);
  if (!s.ok()) {
    PrintError(s.message());
    return ExitFor(s);
  }
  return FollowAndWrite(*conn, where, sweep_id, **space, out_dir, flags);
}

int WriteSweepResults(const std::string& sweep_id, const SweepLocation& where,
                      const std::filesystem::path& out_dir, const std::filesystem::path& plan_file,
                      const SessionFlags& flags, CliContext& ctx) {
  auto conn = Connect(where, flags, /*start_runner=*/false, ctx);
  if (!conn.ok()) {
    PrintError(conn.status().message());
    return ExitFor(conn.status());
  }
  auto status = SweepStatusOf(*conn->client, sweep_id);
  if (!status.ok()) {
    PrintError(status.status().message());
    return ExitFor(status.status());
  }
  auto space = SpaceOf(*conn, sweep_id, plan_file);
  if (!space.ok()) {
    PrintError(space.status().message());
    return ExitFor(space.status());
  }
  const auto dir = OutDirFor(out_dir, sweep_id);
  auto summary = WriteOutputs(*conn, sweep_id, **space, dir);
  if (!summary.ok()) {
    PrintError(summary.status().message());
    return kExitFailure;
  }
  PrintOutcome(sweep_id, dir, **space, summary.value(), conn->local());
  return kExitOk;
}

}  // namespace s1mple::cli
