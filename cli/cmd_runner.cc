// s1mple runner --connect ENDPOINT [--slots N] [--server-key KEY --key FILE]
// A runner daemon (runner/runner.h): runs the broker's jobs in a pool of worker processes.
// SIGTERM/SIGINT: hands back queued jobs, finishes running ones (up to --grace-ms; those still
// running then are killed and handed back too), exits 0. A hand-back uses none of the job's
// attempts (docs/PROTOCOL.md, RESULT handed_back).
//
// Also the hidden `s1mple runner-worker`: one pool worker process (stdin/stdout pipes to its
// runner); not for people.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <thread>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/daemon_signals.h"
#include "metrics/metrics_server.h"
#include "runner/runner.h"
#include "runner/runner_metrics.h"
#include "runner/worker_protocol.h"

#if __has_include("runner/backtest/backtest_executor.h")
#include "runner/backtest/backtest_executor.h"
#define S1MPLE_HAS_BACKTEST_EXECUTOR 1
#endif

namespace s1mple::cli {
namespace {

struct RunnerArgs {
  std::string connect = "tcp://127.0.0.1:5555";
  uint32_t slots = 0;
  std::string prefetch = "auto";
  std::string name;
  std::string server_key;
  std::string key_file;
  std::string cache_dir;
  int heartbeat_ms = 1000;
  int liveness = 5;
  int grace_ms = 30000;
  std::string metrics_addr;  // HOST:PORT of /metrics; empty: none
  bool no_plugins = false;
  int64_t worker_memory_mb = -1;
  std::optional<size_t> column_cache_mib;
};

int RunRunner(const RunnerArgs& a) {
  auto sec = transport::LoadClientSecurity(a.server_key, a.key_file);
  if (!sec.ok()) {
    PrintError(sec.status().ToString());
    return kExitUsage;
  }
  runner::RunnerOptions o;
  o.endpoint = a.connect;
  o.security = *sec;
  o.slots = a.slots;
  if (a.prefetch != "auto") {
    uint32_t n = 0;
    const char* end = a.prefetch.data() + a.prefetch.size();
    auto [p, ec] = std::from_chars(a.prefetch.data(), end, n);
    if (ec != std::errc() || p != end || a.prefetch.empty() || n > 100000) {
      PrintError("--prefetch: expected 'auto' or a number of jobs (0-100000), got '" + a.prefetch +
                 "'");
      return kExitUsage;
    }
    o.prefetch = n;
  }
  o.name = a.name;
  o.cache_dir = a.cache_dir;
  o.heartbeat_ms = a.heartbeat_ms;
  o.liveness = a.liveness;
  o.shutdown_grace_ms = a.grace_ms;
  o.no_plugins = a.no_plugins;
  o.worker_memory_mb = a.worker_memory_mb;
  o.column_cache_mib = a.column_cache_mib;
  if (Status v = runner::Validate(o); !v.ok()) {
    PrintError(v.message());
    return kExitUsage;
  }
  runner::Runner r(o);
  std::unique_ptr<metrics::MetricsServer> metrics_server;
  if (!a.metrics_addr.empty()) {
    const uint32_t slots = o.slots ? o.slots : std::max(1u, std::thread::hardware_concurrency());
    metrics_server = std::make_unique<metrics::MetricsServer>(
        metrics::MetricsServerOptions{a.metrics_addr},
        [&r, slots] { return runner::RenderRunnerMetrics(r.stats(), slots); });
    Status ms = metrics_server->Start();
    if (!ms.ok()) {
      PrintError(ms.WithContext("--metrics-addr").ToString());
      return ms.IsInvalidArgument() ? kExitUsage : kExitFailure;
    }
    spdlog::info("runner: metrics on {}", metrics_server->url());
  }
  InstallStopSignals([](void* p) { static_cast<runner::Runner*>(p)->Stop(); }, &r);
  Status st = r.Run();
  InstallStopSignals(nullptr, nullptr);
  if (!st.ok()) {
    PrintError(st.ToString());
    return st.IsInvalidArgument() ? kExitUsage : kExitFailure;
  }
  return kExitOk;
}

int RunWorker(int64_t memory_limit_mb, std::optional<size_t> column_cache_mib) {
  // Our stdout is the pipe to the runner: keep it for protocol frames and send anything else
  // the engine might print to stderr.
  int pipe_fd = ::dup(1);
  ::dup2(2, 1);
#ifdef S1MPLE_HAS_BACKTEST_EXECUTOR
  runner::BacktestExecutorOptions options;
  if (column_cache_mib) options.column_cache_mib = *column_cache_mib;
  // The shared columns take at most a quarter of the process's memory limit (docs/OPERATIONS.md).
  if (memory_limit_mb > 0)
    options.column_cache_mib =
        std::min<size_t>(options.column_cache_mib, static_cast<size_t>(memory_limit_mb) / 4);
  runner::KindDispatcher executor(runner::MakeBacktestExecutor(options));
#else
  (void)memory_limit_mb;
  (void)column_cache_mib;
  runner::KindDispatcher executor;
#endif
  return runner::RunWorkerProcess(0, pipe_fd, executor);
}

}  // namespace

void AddRunnerCommand(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<RunnerArgs>();
  auto* sub = app.add_subcommand("runner", "Start a runner daemon that runs the broker's jobs");
  sub->add_option("--connect", args->connect, "the broker's endpoint")->capture_default_str();
  sub->add_option("--slots", args->slots, "jobs at once (default: the number of cores)");
  sub->add_option("--prefetch", args->prefetch,
                  "jobs to hold queued beyond the slots: auto (about 25 ms of work per slot, "
                  "none for jobs of 25 ms and longer) or a fixed number")
      ->capture_default_str();
  sub->add_option("--name", args->name, "runner name (default: HOST-PID)");
  sub->add_option("--server-key", args->server_key, "the broker's public key (Z85 or .pub file)");
  sub->add_option("--key", args->key_file, "this runner's secret key file (s1mple keygen)");
  sub->add_option("--cache-dir", args->cache_dir, "keep fetched artifacts here too");
  sub->add_option("--heartbeat-ms", args->heartbeat_ms, "heartbeat interval")
      ->capture_default_str();
  sub->add_option("--liveness", args->liveness, "missed beats before the broker is presumed gone")
      ->capture_default_str();
  sub->add_option("--grace-ms", args->grace_ms,
                  "on SIGTERM, wait this long for running jobs (then hand them back)")
      ->capture_default_str();
  sub->add_option("--metrics-addr", args->metrics_addr,
                  "serve Prometheus /metrics at HOST:PORT (e.g. 0.0.0.0:9465)");
  sub->add_flag("--no-plugins", args->no_plugins,
                "refuse jobs that ship plugin packages (run no code but s1mple's own)");
  sub->add_option("--worker-memory-mb", args->worker_memory_mb,
                  "memory each pool process may take (heap); a leaking plugin fails its job "
                  "(default -1: 80% of RAM over the slots; 0: no limit)");
  sub->add_option("--column-cache-mib", args->column_cache_mib,
                  "columns the jobs of a sweep share, kept per pool process (default 256, at most "
                  "a quarter of --worker-memory-mb; 0: none)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 20));
  sub->callback([args, &ctx] { ctx.exit_code = RunRunner(*args); });

  auto* worker = app.add_subcommand("runner-worker", "");  // hidden: empty description
  worker->group("");
  auto memory_mb = std::make_shared<int64_t>(0);
  auto cache_mib = std::make_shared<std::optional<size_t>>();
  worker->add_option("--memory-limit-mb", *memory_mb, "RLIMIT_DATA of this pool process");
  worker->add_option("--column-cache-mib", *cache_mib, "the shared columns' bound");
  worker->callback([&ctx, memory_mb, cache_mib] {
    if (*memory_mb > 0) {
      // Heap and private anonymous maps (Linux >= 4.7): an allocation past it fails, so a
      // leaking plugin throws std::bad_alloc and fails its job; the runner is not touched.
      const rlim_t bytes = static_cast<rlim_t>(*memory_mb) << 20;
      struct rlimit limit {
        bytes, bytes
      };
      (void)::setrlimit(RLIMIT_DATA, &limit);
    }
    ctx.exit_code = RunWorker(*memory_mb, *cache_mib);
  });
}

}  // namespace s1mple::cli
