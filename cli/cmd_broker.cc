// s1mple broker --bind ENDPOINT... --store DIR [--key FILE --authorized-keys FILE] [--insecure]
// The broker daemon: owns the store, hands jobs to runners, records results (broker/broker.h).
// Prints "listening on <endpoint>" lines on stdout once bound (and writes them to
// --endpoint-file if given: handy with a wildcard port such as tcp://127.0.0.1:*).
// SIGTERM/SIGINT: records the results already received, then exits 0.
#include <fstream>
#include <iostream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "broker/broker.h"
#include "broker/broker_metrics.h"
#include "cli/commands.h"
#include "cli/daemon_signals.h"
#include "common/atomic_file.h"
#include "common/iso_time.h"
#include "embedded/runner_panel.h"
#include "explorer/server.h"
#include "metrics/metrics_server.h"
#include "store/job_store.h"
#include "transport/keys.h"

namespace s1mple::cli {
namespace {

struct BrokerArgs {
  std::vector<std::string> bind = {"tcp://127.0.0.1:5555"};
  std::string store_dir;
  std::string key_file;
  std::string authorized_keys;
  bool insecure = false;
  std::string endpoint_file;
  int heartbeat_ms = 1000;
  int liveness = 5;
  int64_t lease_grace_ms = 5000;
  int64_t default_timeout_ms = 300000;
  std::string sync = "fsync";
  std::size_t store_memory_mib = store::Options{}.memory_mib;
  std::string http;  // HOST:PORT of the Trade Explorer; empty: none
  bool http_public = false;
  std::string metrics_addr;  // HOST:PORT of /metrics alone (any address); empty: none
};

// The broker's own in-process endpoint for the HTTP server's runner panel (NULL security:
// inproc never leaves the process).
constexpr const char* kStatusEndpoint = "inproc://s1mple-broker-status";

int RunBroker(const BrokerArgs& a) {
  broker::BrokerOptions o;
  o.bind = a.bind;
  o.insecure = a.insecure;
  o.core.heartbeat_ms = a.heartbeat_ms;
  o.core.liveness = a.liveness;
  o.core.lease_grace_ms = a.lease_grace_ms;
  o.core.default_timeout_ms = a.default_timeout_ms;
  if (Status v = broker::Validate(o.core); !v.ok()) {
    PrintError(v.message());
    return kExitUsage;
  }
  if (a.key_file.empty() != a.authorized_keys.empty()) {
    PrintError("--key and --authorized-keys go together");
    return kExitUsage;
  }
  if (!a.key_file.empty()) {
    auto pair = transport::LoadKeyPair(a.key_file);
    if (!pair.ok()) {
      PrintError(pair.status().WithContext("--key").ToString());
      return kExitUsage;
    }
    o.security = {pair->public_key, pair->secret_key};
    auto keys = transport::LoadAuthorizedKeys(a.authorized_keys);
    if (!keys.ok()) {
      PrintError(keys.status().ToString());
      return kExitUsage;
    }
    o.authorized_keys = std::move(*keys);
  }
  store::Options so;
  so.sync = a.sync == "none" ? store::SyncPolicy::kNone : store::SyncPolicy::kFsync;
  so.memory_mib = a.store_memory_mib;
  auto st = store::JobStore::Open(a.store_dir, so);
  if (!st.ok()) {
    PrintError(st.status().WithContext("--store " + a.store_dir).ToString());
    return kExitFailure;
  }
  // One context for the broker and, with --http, the runner panel's in-process client. The
  // in-process endpoint is bound only without CurveZMQ (with keys the panel stays empty).
  zmq::context_t context(1);
  o.context = &context;
  const bool status_endpoint = !a.http.empty() && a.key_file.empty();
  if (status_endpoint) o.bind.push_back(kStatusEndpoint);
  auto b = broker::Broker::Create(o, **st);
  if (!b.ok()) {
    PrintError(b.status().ToString());
    return b.status().IsInvalidArgument() ? kExitUsage : kExitFailure;
  }
  std::string lines;
  for (const auto& ep : (*b)->endpoints())
    if (ep != kStatusEndpoint) lines += "listening on " + ep + "\n";
  std::cout << lines << std::flush;
  if (!a.endpoint_file.empty()) {
    if (Status s = WriteFileAtomically(a.endpoint_file, lines); !s.ok()) {
      PrintError(s.WithContext("--endpoint-file").ToString());
      return kExitFailure;
    }
  }
  std::unique_ptr<explorer::ExplorerServer> http;
  if (!a.http.empty()) {
    explorer::ExplorerServerOptions ho;
    ho.address = a.http;
    ho.allow_non_loopback = a.http_public;
    if (status_endpoint) {
      auto panel = embedded::MakeRunnerPanel(context, kStatusEndpoint);
      ho.api.runners = [panel] { return explorer::RunnersFromStatus(panel(), WallClockMs()); };
    }
    ho.metrics = [&broker = **b, &store = **st] {
      return broker::RenderBrokerMetrics(broker, store);
    };
    http = std::make_unique<explorer::ExplorerServer>(**st, ho);
    Status hs = http->Start();
    if (!hs.ok()) {
      PrintError(hs.WithContext("--http " + a.http).ToString());
      return hs.IsInvalidArgument() ? kExitUsage : kExitFailure;
    }
    std::cout << "Trade Explorer on " << http->url() << "\n" << std::flush;
  }
  // /metrics alone, on any address (Prometheus on another machine), without the page and API.
  std::unique_ptr<metrics::MetricsServer> metrics_server;
  if (!a.metrics_addr.empty()) {
    metrics_server = std::make_unique<metrics::MetricsServer>(
        metrics::MetricsServerOptions{a.metrics_addr},
        [&broker = **b, &store = **st] { return broker::RenderBrokerMetrics(broker, store); });
    Status ms = metrics_server->Start();
    if (!ms.ok()) {
      PrintError(ms.WithContext("--metrics-addr").ToString());
      return ms.IsInvalidArgument() ? kExitUsage : kExitFailure;
    }
    std::cout << "metrics on " << metrics_server->url() << "\n" << std::flush;
  }
  InstallStopSignals([](void* p) { static_cast<broker::Broker*>(p)->Stop(); }, b->get());
  Status run = (*b)->Run();
  InstallStopSignals(nullptr, nullptr);
  if (http) http->Stop();
  if (metrics_server) metrics_server->Stop();
  if (!run.ok()) {
    PrintError(run.ToString());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void AddBrokerCommand(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<BrokerArgs>();
  auto* sub = app.add_subcommand("broker", "Start the broker daemon (owns the job store)");
  sub->add_option("--bind", args->bind, "endpoint(s) to bind; port * = any free port")
      ->capture_default_str();
  sub->add_option("--store", args->store_dir, "job store directory (created if missing)")
      ->required();
  sub->add_option("--key", args->key_file,
                  "the broker's secret key file (s1mple keygen): CurveZMQ on");
  sub->add_option("--authorized-keys", args->authorized_keys,
                  "file of public keys admitted (one Z85 key or .pub path per line)");
  sub->add_flag("--insecure", args->insecure, "allow a non-loopback bind without CurveZMQ");
  sub->add_option("--endpoint-file", args->endpoint_file, "also write the bound endpoints here");
  sub->add_option("--heartbeat-ms", args->heartbeat_ms, "heartbeat interval")
      ->capture_default_str();
  sub->add_option("--liveness", args->liveness, "missed beats before a runner is lost")
      ->capture_default_str();
  sub->add_option("--lease-grace-ms", args->lease_grace_ms, "lease = timeout_per_run + this")
      ->capture_default_str();
  sub->add_option("--default-timeout-ms", args->default_timeout_ms,
                  "timeout_per_run of sweeps that give none")
      ->capture_default_str();
  sub->add_option("--sync", args->sync, "fsync (durable on power loss) or none (survives kill -9)")
      ->check(CLI::IsMember({"fsync", "none"}))
      ->capture_default_str();
  sub->add_option("--store-memory-mib", args->store_memory_mib,
                  "the store's RocksDB memory: block cache and memtables together (docs/STORE.md)")
      ->check(CLI::Range(std::size_t{4}, std::size_t{1} << 20))
      ->capture_default_str();
  sub->add_option(
      "--http", args->http,
      "serve the Trade Explorer page, JSON API and /metrics at HOST:PORT (e.g. 127.0.0.1:8080)");
  sub->add_option("--metrics-addr", args->metrics_addr,
                  "serve Prometheus /metrics alone at HOST:PORT, any address (e.g. 0.0.0.0:9464)");
  sub->add_flag("--http-public", args->http_public,
                "allow --http on a non-loopback address (the page has no authentication)");
  sub->callback([args, &ctx] { ctx.exit_code = RunBroker(*args); });
}

}  // namespace s1mple::cli
