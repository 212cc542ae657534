#include "cli/sweep_session.h"

#include <sys/statvfs.h>
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
#include "cli/client_explorer_source.h"
#include "cli/local_cluster.h"
#include "producer/analysis.h"
#include "producer/plan_loader.h"
#include "producer/result_fields.h"
#include "producer/submission.h"
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
  protocol::ClientOptions options;  // how `client` was made: more connections like it
  std::string broker;               // remote endpoint, empty when local
  bool local() const { return cluster != nullptr; }
};

// One try of a submission request waits this long for its reply before it is sent again on a
// new connection (a broker restarted meanwhile answers the resend); the whole wait is bounded
// by producer::ChannelOptions::give_up_after_ms.
constexpr int kSubmitTryMs = 5000;

// A channel for the requests that are safe to resend (PUT, SUBMIT_*): survives a broker restart.
producer::BrokerChannel SubmitChannel(const Connection& conn) {
  protocol::ClientOptions o = conn.options;
  o.timeout_ms = kSubmitTryMs;
  producer::ChannelOptions co;
  co.interrupted = [] { return g_interrupted.load(); };
  return producer::BrokerChannel([o] { return protocol::Client::Connect(o); }, o.endpoint, co);
}

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
  conn.options = copts;
  return conn;
}

// The status of one sweep, or NotFound; with the broker's counters when asked.
Result<protocol::SweepStatus> SweepStatusOf(protocol::Client& client, const std::string& sweep,
                                            std::map<std::string, uint64_t>* counters = nullptr) {
  auto st = client.GetStatus(sweep);
  if (!st.ok()) return st.status();
  if (counters) *counters = st->counters;
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

  // "best sharpe_ratio 1.23 (run 17)" among the runs that meet the plan's constraints.
  std::string Describe() const {
    if (!best_index_) {
      return ineligible_ > 0
                 ? "no run meets the constraints yet (" + std::to_string(ineligible_) + " do not)"
                 : "";
    }
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
    // The same rule as optimization_result.json's best_configuration (producer/analysis.h):
    // only runs that meet every constraint, by the plan's direction, the lower index on a tie.
    if (!producer::CheckConstraints(space_.plan(), result).ok) {
      ++ineligible_;
      return;
    }
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
  uint64_t ineligible_ = 0;  // finished runs that break a constraint
};

// Why a sweep does not move although jobs are left: tag for the progress line, detail (what
// happened and what to do) for a line of its own. Empty: it moves, or nothing is known.
struct Stall {
  std::string tag;
  std::string detail;
};

// Watches for the one stall a session can explain: a store that cannot write (a full disk).
// Embedded: the store itself says it stopped writing (store::JobStore::WriteStatus). Remote: the
// broker's `store_errors` counter grew while no job finished.
class StallWatch {
 public:
  StallWatch(std::string sweep, std::string resume_flags)
      : sweep_(std::move(sweep)), resume_flags_(std::move(resume_flags)) {}

  Stall Check(Connection& conn, const protocol::SweepStatus& st,
              const std::map<std::string, uint64_t>& counters) {
    const uint64_t finished = st.done + st.failed;
    if (conn.local()) {
      const Status w = conn.cluster->store().WriteStatus();
      if (w.ok()) return {};
      const std::string dir = conn.cluster->store().dir();
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

 private:
  static std::string FreeSpace(const std::string& dir) {
    struct statvfs v {};
    if (::statvfs(dir.c_str(), &v) != 0) return "";
    const double mib =
        static_cast<double>(v.f_bavail) * static_cast<double>(v.f_frsize) / (1024.0 * 1024.0);
    char buf[64];
    std::snprintf(buf, sizeof buf, " (%.1f MiB free on its disk)", mib);
    return buf;
  }

  std::string sweep_;
  std::string resume_flags_;
  std::optional<uint64_t> baseline_;  // store_errors when jobs last finished
  uint64_t finished_at_error_ = 0;
};

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
    if (s.state == "paused") line << "  (paused)";
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

enum class FollowEnd { kFinished, kInterrupted, kLost };

// Follows a sweep until every job is DONE or FAILED (or it is cancelled), SIGINT, or the broker
// stops answering.
FollowEnd Follow(Connection& conn, const std::string& sweep, const producer::JobSpace& space,
                 const SessionFlags& flags, const std::string& resume_flags) {
  Progress progress(!flags.no_progress);
  BestSoFar best(space);
  StallWatch stall(sweep, resume_flags);
  std::map<std::string, uint64_t> counters;
  auto last_best = Clock::now() - std::chrono::seconds(10);
  int failures = 0;
  while (true) {
    if (g_interrupted.load()) {
      progress.Done();
      return FollowEnd::kInterrupted;
    }
    auto st = SweepStatusOf(*conn.client, sweep, &counters);
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
    progress.Update(*st, best.Describe(), finished,
                    finished ? Stall{} : stall.Check(conn, *st, counters));
    if (finished) {
      progress.Done();
      return FollowEnd::kFinished;
    }
    for (int i = 0; i < 10 && !g_interrupted.load(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

// ---- outputs -----------------------------------------------------------------------------------

// The members of a stored result that the outputs use: an optimization's results.csv and JSON
// the metrics, causality, period and bar count of each run; a variant test's also its equity
// curve. Only these travel (RESULTS `fields`) and are parsed; trades and opportunities stay.
std::vector<std::string> OutputFields(const producer::JobSpace& space) {
  if (space.plan().kind == producer::PlanKind::kOptimization)
    return {"metrics", "causality", "period", "bars"};
  return {"metrics", "causality", "period", "bars", "equity"};
}

nlohmann::json ParseOutputFields(const producer::JobSpace& space, std::string_view result) {
  if (space.plan().kind == producer::PlanKind::kOptimization)
    return producer::ParseResultFields(result, {"metrics", "causality", "period", "bars"});
  return producer::ParseResultFields(result, {"metrics", "causality", "period", "bars", "equity"});
}

// report.html of `sweep` at `path`: from the store when it is local, else through the broker's
// client protocol (a connection of its own: it is built on a second thread).
Status WriteReport(Connection& conn, const std::string& sweep, const producer::JobSpace& space,
                   const std::filesystem::path& path) {
  if (conn.local()) return broker::WriteReportHtml(conn.cluster->store(), sweep, path);
  auto client = protocol::Client::Connect(conn.options);
  if (!client.ok()) return client.status();
  ClientExplorerSource source(std::move(client).value(), sweep,
                              producer::PlanKindName(space.plan().kind));
  return broker::WriteReportHtml(source, sweep, path);
}

// Writes results.csv, report.html and, last, the result JSON from the results the broker holds
// now, in index order. The JSON is written last (by a rename), so its presence says every output
// is complete. Returns the analyzer's summary.
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
  // report.html is built on a second thread while the analyzer reads the results (the store is
  // thread-safe; a remote report has its own connection; after a sweep both cores are free).
  // Waited for below, or by the future's destructor on an early return.
  std::future<Status> report = std::async(std::launch::async, [&conn, &sweep, &space, &out_dir] {
    return WriteReport(conn, sweep, space, out_dir / "report.html");
  });
  const std::vector<std::string> fields = OutputFields(space);
  uint64_t after = 0;
  while (true) {
    auto page = conn.client->GetResults(sweep, after, 1000, false, fields);
    if (!page.ok()) return page.status().WithContext("results of " + sweep);
    for (const auto& item : page->items) {
      producer::JobOutcome outcome;
      outcome.index = item.index;
      outcome.attempts = static_cast<int>(std::max<uint32_t>(1, item.attempts));
      if (item.state == "done") {
        outcome.ok = true;
        outcome.result = ParseOutputFields(space, item.result);
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
  const Status report_status = report.get();
  if (!report_status.ok()) spdlog::warn("report.html not written: {}", report_status.ToString());
  return (*analyzer)->Finish();
}

void PrintOutcome(const std::string& sweep, const std::filesystem::path& out_dir,
                  const producer::JobSpace& space, const nlohmann::json& summary) {
  const bool variant = space.plan().kind == producer::PlanKind::kVariant;
  std::cout << "sweep " << sweep << ": " << summary.value("successful_runs", 0) << " succeeded, "
            << summary.value("failed_runs", 0) << " failed";
  const int64_t missing = summary.contains("missing_runs") && summary["missing_runs"].is_number()
                              ? summary["missing_runs"].get<int64_t>()
                              : 0;
  if (missing > 0) std::cout << ", " << missing << " pending (not finished yet)";
  std::cout << "\n";
  if (!variant && summary.contains("best_configuration") &&
      summary["best_configuration"].is_object()) {
    const auto& b = summary["best_configuration"];
    std::cout << "best by " << space.plan().targets.primary_metric
              << (space.plan().constraints.empty() ? "" : " (meeting the constraints)") << ": run "
              << b.value("run_id", std::string("?"));
    if (b.contains("metrics") && b["metrics"].contains(space.plan().targets.primary_metric))
      std::cout << " (" << b["metrics"][space.plan().targets.primary_metric].dump() << ")";
    if (b.contains("configuration")) std::cout << "  " << b["configuration"].dump();
    std::cout << "\n";
  } else if (!variant && summary.contains("best_configuration_note") &&
             summary.value("successful_runs", 0) > 0) {
    std::cout << "best: none (" << summary["best_configuration_note"].get<std::string>() << ")\n";
  }
  if (variant && summary.contains("comparative_analysis"))
    std::cout << "comparison: " << summary["comparative_analysis"].dump() << "\n";
  const auto json_name = variant ? producer::SweepAnalyzer::kVariantJsonName
                                 : producer::SweepAnalyzer::kOptimizationJsonName;
  std::cout << "outputs in " << out_dir.string() << "/: results.csv (pandas.read_csv), "
            << json_name << ", report.html (open in a browser)\n";
}

std::filesystem::path OutDirFor(const std::filesystem::path& out_dir, const std::string& sweep) {
  return out_dir.empty() ? std::filesystem::path("runs") / sweep : out_dir;
}

std::string LocationFlags(const SweepLocation& where) {
  if (!where.broker.empty()) return " --broker " + ShellQuoteIfNeeded(where.broker);
  if (where.store_dir == ".s1mple") return "";
  return " --store " + ShellQuoteIfNeeded(where.store_dir.string());
}

// Follows `sweep` to its end and writes its outputs (the tail of every session).
int FollowAndWrite(Connection& conn, const SweepLocation& where, const std::string& sweep,
                   const producer::JobSpace& space, const std::filesystem::path& out_dir,
                   const SessionFlags& flags) {
  if (conn.local() && !conn.cluster->http_url().empty())
    std::cerr << "Trade Explorer: " << conn.cluster->http_url() << "#/sweep/" << sweep << "\n";
  FollowEnd end = Follow(conn, sweep, space, flags, LocationFlags(where));
  if (end == FollowEnd::kInterrupted) {
    std::cerr << "interrupted: every finished job is recorded; continue with: s1mple resume "
              << sweep << LocationFlags(where) << "\n";
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
  PrintOutcome(sweep, dir, space, summary.value());
  // Some failed runs are data (a plan may hold configurations that cannot trade); a sweep in
  // which nothing succeeded is a failure of the command.
  if (summary->value("successful_runs", 0) == 0 && summary->value("failed_runs", 0) > 0) {
    PrintError("every run of " + sweep + " failed; see the reasons in " +
               (dir / "results.csv").string());
    return kExitFailure;
  }
  return kExitOk;
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

// What the user sees when a submission did not complete: interrupted (exit 130) or failed (1),
// with the command that finishes it once the sweep exists.
int SubmissionFailed(Connection& conn, const SweepLocation& where, const std::string& sweep,
                     const Status& s) {
  if (g_interrupted.load()) {
    if (sweep.empty()) {
      std::cerr << "interrupted before the sweep was created: nothing was submitted\n";
    } else {
      std::cerr << "interrupted during the submission of " << sweep
                << ": the jobs sent so far are stored; continue with: s1mple resume " << sweep
                << LocationFlags(where) << " (or run the identical plan again)\n";
    }
    if (conn.cluster) conn.cluster->Stop();
    return kExitInterrupted;
  }
  PrintError("submitting the sweep: " + s.message() +
             (sweep.empty() ? std::string()
                            : "; the jobs sent so far are stored: continue with: s1mple resume " +
                                  sweep + LocationFlags(where)));
  return kExitFailure;
}

// The newest sweep of this plan (same plan text and base artifacts) in the local store that is
// not cancelled: an unfinished one to carry on with, or a finished one whose results stand
// (results are deterministic: running it again would repeat every recorded job, DESIGN decision
// 7). Reusing the finished one also covers a session killed between its last result and its
// outputs.
std::optional<store::SweepInfo> FindPrevious(store::JobStore& store, const std::string& plan_text,
                                             const std::map<std::string, std::string>& artifacts) {
  for (const auto& s : store.FindSweepsByPlanHash(protocol::Sha256Hex(plan_text))) {
    if (s.base_artifacts == artifacts && s.state != store::SweepState::kCancelled) return s;
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
    auto channel = SubmitChannel(conn);
    SubmitMeter meter(true);
    producer::SubmitOptions sopts;
    sopts.on_batch = std::ref(meter);
    S1MPLE_RETURN_IF_ERROR(producer::SendJobsAndCommit(channel, sweep, space, have, sopts));
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
  if (with_detach) {
    sub->add_flag("--detach", flags.detach,
                  "with --broker: submit, print the sweep id alone on stdout, and exit");
    sub->add_flag("--fresh", flags.fresh,
                  "embedded: run the plan as a new sweep even if the store holds a sweep of the "
                  "identical plan (default: resume it, or write the outputs of the finished one)");
  }
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
  // The plugin packages, by file name: their hashes are part of the sweep's identity.
  for (const auto& ref : prepared.base.packages) {
    std::ifstream f(ref.path, std::ios::binary);
    if (!f) {
      PrintError(ref.named_by + ": " + ref.path.string() + ": cannot read the plugin package");
      return kExitUsage;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    blobs[producer::kRolePluginPrefix + ref.name] = ss.str();
  }
  std::map<std::string, std::string> artifacts;
  std::vector<std::string> artifact_bytes;
  for (auto& [role, bytes] : blobs) {
    artifacts[role] = protocol::Sha256Hex(bytes);
    artifact_bytes.push_back(std::move(bytes));
  }
  blobs.clear();

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

  // The identical plan already in this store: resume it, or take the results of its finished
  // sweep, rather than start over (DESIGN decision 7: nothing recorded is run again). --fresh
  // runs it again as a new sweep.
  if (conn->local() && !flags.fresh) {
    if (auto found = FindPrevious(conn->cluster->store(), plan.text, artifacts)) {
      if (found->state == store::SweepState::kDone) {
        std::cerr << "sweep " << found->id << " of this plan finished on "
                  << IsoUtc(found->created_ms) << " (created); writing its outputs (--fresh "
                  << "runs the plan again as a new sweep)\n";
      } else {
        std::cerr << "resuming unfinished sweep " << found->id << " of this plan ("
                  << found->counts.done + found->counts.failed << "/" << space->size()
                  << " jobs finished)\n";
      }
      Status s = Reactivate(*conn, found->id, *space);
      if (!s.ok()) return SubmissionFailed(*conn, where, found->id, s);
      return FollowAndWrite(*conn, where, found->id, *space, request.out_dir, flags);
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
  // Streamed from the lazy job space, batch by batch; a broker that dies meanwhile gets the
  // unanswered request again once it is back, and an open sweep of this plan that another
  // (cut-off) submission left is finished instead of starting a second one.
  producer::Submission submission;
  {
    auto channel = SubmitChannel(*conn);
    SubmitMeter meter(!flags.no_progress && !flags.detach);
    producer::SubmitOptions sopts;
    sopts.on_batch = std::ref(meter);
    Status s = producer::SubmitSweep(channel, spec, artifact_bytes, *space, sopts, &submission);
    if (!s.ok()) return SubmissionFailed(*conn, where, submission.sweep, s);
  }
  artifact_bytes.clear();
  const std::string& sweep = submission.sweep;
  if (submission.resumed) {
    std::cerr << "finished the interrupted submission of " << sweep << " of this plan ("
              << submission.resumed_at << "/" << space->size() << " jobs had been stored)\n";
  }
  if (flags.detach) {
    std::cout << sweep << "\n";
    return kExitOk;
  }
  std::cerr << "sweep " << sweep << ": " << space->size() << " jobs (" << plan.name << ")"
            << (conn->local() ? ", " + std::to_string(conn->cluster->slots()) + " local slots"
                              : ", broker " + request.broker)
            << "\n";
  return FollowAndWrite(*conn, where, sweep, *space, request.out_dir, flags);
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
    if (g_interrupted.load()) return SubmissionFailed(*conn, where, sweep_id, s);
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
  PrintOutcome(sweep_id, dir, **space, summary.value());
  return kExitOk;
}

}  // namespace s1mple::cli
