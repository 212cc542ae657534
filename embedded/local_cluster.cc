#include "embedded/local_cluster.h"

#include <unistd.h>

#include <atomic>
#include <thread>

#include <spdlog/spdlog.h>

#include "broker/broker.h"
#include "runner/runner.h"
#include "store/job_store.h"

namespace s1mple::embedded {

namespace {
// A process may run several clusters one after another (tests); endpoints must not collide.
std::string NextEndpoint() {
  static std::atomic<int> n{0};
  return "inproc://s1mple-embedded-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}
}  // namespace

Result<std::unique_ptr<LocalCluster>> LocalCluster::Start(const LocalClusterOptions& options) {
  std::unique_ptr<LocalCluster> c(new LocalCluster());
  store::Options store_options;
  auto opened = store::JobStore::Open(options.store_dir.string(), store_options);
  if (!opened.ok()) return opened.status();
  c->store_ = std::move(opened).value();
  // We hold the store's lock, so no runner of an earlier embedded session can still be working
  // on a leased job: those leases are orphans of a crash (kill -9, power cut). Return them to
  // PENDING now instead of waiting out timeout_per_run, without counting the attempt: the job
  // did not fail, our session did (a sweep that crashed max_attempts times must not fail it).
  auto returned = c->store_->ReturnOrphanLeases("returned after an interrupted session");
  if (!returned.ok()) return returned.status().WithContext("recovering leases");
  if (!returned->empty()) {
    spdlog::info("recovered {} lease(s) left by an interrupted session", returned->size());
  }
  c->context_ = std::make_unique<zmq::context_t>(1);
  c->endpoint_ = NextEndpoint();

  broker::BrokerOptions bopts;
  bopts.bind = {c->endpoint_};
  bopts.context = c->context_.get();
  auto created = broker::Broker::Create(bopts, *c->store_);
  if (!created.ok()) return created.status();
  c->broker_ = std::move(created).value();
  c->broker_thread_ = std::thread([b = c->broker_.get()] {
    Status s = b->Run();
    if (!s.ok()) spdlog::error("embedded broker stopped: {}", s.ToString());
  });

  c->slots_ = options.slots ? options.slots : std::max(1u, std::thread::hardware_concurrency());
  if (options.start_runner) {
    runner::RunnerOptions ropts;
    ropts.endpoint = c->endpoint_;
    ropts.context = c->context_.get();
    ropts.slots = c->slots_;
    ropts.name = "local";
    ropts.shutdown_grace_ms = options.shutdown_grace_ms;
    c->runner_ = std::make_unique<runner::Runner>(ropts);
    c->runner_thread_ = std::thread([r = c->runner_.get()] {
      Status s = r->Run();
      if (!s.ok()) spdlog::error("embedded runner stopped: {}", s.ToString());
    });
  }

  return c;
}

void LocalCluster::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (runner_) runner_->Stop();
  if (runner_thread_.joinable()) runner_thread_.join();
  if (broker_) broker_->Stop();
  if (broker_thread_.joinable()) broker_thread_.join();
  runner_.reset();
  broker_.reset();
  store_.reset();
}

LocalCluster::~LocalCluster() {
  Stop();
}

}  // namespace s1mple::embedded
