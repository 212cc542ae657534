#include "cli/sweep_sites.h"

#include <algorithm>
#include <memory>
#include <thread>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "common/iso_time.h"
#include "embedded/local_cluster.h"
#include "embedded/runner_panel.h"
#include "explorer/client_source.h"
#include "explorer/report.h"
#include "explorer/server.h"
#include "store/job_store.h"
#include "transport/security.h"
#include "transport/sockets.h"

namespace s1mple::cli {
namespace {

producer::StoredSweep ToStored(const store::SweepInfo& info) {
  producer::StoredSweep s;
  s.id = info.id;
  s.state = info.state;
  s.created_ms = info.created_ms;
  s.job_count = info.job_count;
  s.finished = info.counts.done + info.counts.failed;
  return s;
}

// The embedded cluster, and the Trade Explorer over its store when asked (--http).
class EmbeddedSite final : public producer::SweepSite {
 public:
  static Result<std::unique_ptr<EmbeddedSite>> Start(const producer::SiteRequest& req) {
    std::unique_ptr<EmbeddedSite> site(new EmbeddedSite());
    embedded::LocalClusterOptions lopts;
    lopts.store_dir = req.store_dir;
    lopts.slots = req.local_runners > 0 ? static_cast<uint32_t>(req.local_runners) : 0;
    lopts.start_runner = req.start_runner;
    auto cluster = embedded::LocalCluster::Start(lopts);
    if (!cluster.ok()) return cluster.status().WithContext("store " + req.store_dir.string());
    site->cluster_ = std::move(cluster).value();
    site->options_.endpoint = site->cluster_->endpoint();
    site->options_.context = &site->cluster_->context();
    site->options_.timeout_ms = 60000;  // a SUBMIT batch waits for a synced store write
    if (!req.http.empty()) {
      explorer::ExplorerServerOptions hopts;
      hopts.address = req.http;
      hopts.allow_non_loopback = req.http_public;
      auto panel = embedded::MakeRunnerPanel(site->cluster_->context(), site->cluster_->endpoint());
      hopts.api.runners = [panel] { return explorer::RunnersFromStatus(panel(), WallClockMs()); };
      hopts.metrics = [c = site->cluster_.get()] { return c->RenderMetrics(); };
      site->http_ = std::make_unique<explorer::ExplorerServer>(site->cluster_->store(), hopts);
      Status s = site->http_->Start();
      if (!s.ok()) return s.WithContext("--http " + req.http);
    }
    return site;
  }
  ~EmbeddedSite() override { Stop(); }

  const transport::ClientOptions& client_options() const override { return options_; }
  bool embedded() const override { return true; }
  std::string Describe() const override {
    return std::to_string(cluster_->slots()) + " local slots";
  }
  std::string explorer_url() const override { return http_ ? http_->url() : std::string(); }

  std::optional<producer::StoredSweep> FindIdentical(
      const std::string& plan_hash, const std::map<std::string, std::string>& artifacts) override {
    for (const auto& s : cluster_->store().FindSweepsByPlanHash(plan_hash)) {
      if (AsText(s.base_artifacts) == artifacts && s.state != SweepState::kCancelled)
        return ToStored(s);
    }
    return std::nullopt;
  }
  std::optional<producer::StoredSweep> Stored(const std::string& sweep) override {
    auto info = cluster_->store().GetSweep(sweep);
    if (!info.ok()) return std::nullopt;
    return ToStored(*info);
  }
  Status StoreWriteStatus() const override { return cluster_->store().WriteStatus(); }
  std::string store_dir() const override { return cluster_->store().dir(); }

  Status WriteReport(const std::string& sweep, SweepKind /*kind*/,
                     const std::filesystem::path& path) override {
    return explorer::WriteReportHtml(cluster_->store(), sweep, path);
  }
  void Stop() override {
    if (http_) http_->Stop();
    if (cluster_) cluster_->Stop();
    http_.reset();
  }

 private:
  EmbeddedSite() = default;
  std::unique_ptr<embedded::LocalCluster> cluster_;
  std::unique_ptr<explorer::ExplorerServer> http_;
  transport::ClientOptions options_;
};

// A broker elsewhere, reached with the user's keys.
class RemoteSite final : public producer::SweepSite {
 public:
  static Result<std::unique_ptr<RemoteSite>> Make(const producer::SiteRequest& req) {
    auto security = transport::LoadClientSecurity(req.server_key, req.key);
    if (!security.ok()) return security.status();
    if (!security->curve() && !transport::IsLocalEndpoint(req.broker)) {
      return Status::InvalidArgument("--broker " + req.broker +
                                     " is not a loopback address: give --server-key and --key "
                                     "(see docs/OPERATIONS.md, \"Keys\")");
    }
    std::unique_ptr<RemoteSite> site(new RemoteSite());
    site->options_.endpoint = req.broker;
    site->options_.security = security.value();
    site->options_.timeout_ms = 60000;  // a SUBMIT batch waits for a synced store write
    return site;
  }

  const transport::ClientOptions& client_options() const override { return options_; }
  bool embedded() const override { return false; }
  std::string Describe() const override { return "broker " + options_.endpoint; }

  // Through the broker's client protocol, on a connection of its own (it is built on a second
  // thread while the session reads results on its own).
  Status WriteReport(const std::string& sweep, SweepKind kind,
                     const std::filesystem::path& path) override {
    auto client = transport::Client::Connect(options_);
    if (!client.ok()) return client.status();
    explorer::ClientExplorerSource source((*client)->Caller(), sweep, kind);
    return explorer::WriteReportHtml(source, sweep, path);
  }

 private:
  RemoteSite() = default;
  transport::ClientOptions options_;
};

}  // namespace

producer::SiteFactory MakeSiteFactory(const CliContext& ctx) {
  const bool log_level_given = ctx.log_level_given;
  return [log_level_given](
             const producer::SiteRequest& req) -> Result<std::unique_ptr<producer::SweepSite>> {
    if (!req.broker.empty()) {
      auto site = RemoteSite::Make(req);
      if (!site.ok()) return site.status();
      return std::unique_ptr<producer::SweepSite>(std::move(site).value());
    }
    // The embedded broker and runner log their lifecycle at info; on the user's terminal that
    // is noise next to the progress bar. --log-level info brings it back.
    if (!log_level_given) spdlog::set_level(spdlog::level::warn);
    auto site = EmbeddedSite::Start(req);
    if (!site.ok()) return site.status();
    return std::unique_ptr<producer::SweepSite>(std::move(site).value());
  };
}

producer::SessionOptions WithCliWiring(producer::SessionOptions options, const CliContext& ctx) {
  options.sites = MakeSiteFactory(ctx);
  options.print_error = PrintError;
  return options;
}

void AddSessionFlags(CLI::App* sub, producer::SessionOptions& flags, bool with_detach) {
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
  sub->add_option(
      "--http", flags.http,
      "embedded mode: serve the Trade Explorer and /metrics at HOST:PORT while the sweep runs");
  sub->add_flag("--http-public", flags.http_public, "allow a non-loopback --http address");
  sub->add_flag("--no-progress", flags.no_progress, "print no progress");
  sub->add_flag("--returns", flags.returns,
                "also write returns.csv: every run's daily returns, one column per run_id");
}

int ExitCodeOf(producer::SessionEnd end) {
  return static_cast<int>(end);
}

}  // namespace s1mple::cli
