// The Broker with real sockets in one process: a runner and a client over loopback TCP,
// CurveZMQ admission, refusal of insecure binds, garbage on the wire.
#include "broker/broker.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "broker/broker_metrics.h"
#include "producer/submission.h"
#include "runner/runner.h"
#include "tests/metrics/promtool.h"
#include "transport/client.h"
#include "transport/keys.h"

namespace s1mple::broker {
namespace {

namespace pr = s1mple::protocol;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The _count sample of a histogram family in an exposition.
struct HistogramCount {
  uint64_t count = 0;
};
HistogramCount ParseHistogramCount(const std::string& text, const std::string& family) {
  const std::string key = "\n" + family + "_count ";
  const size_t at = text.find(key);
  if (at == std::string::npos) return {};
  return {std::stoull(text.substr(at + key.size()))};
}

class BrokerSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("s1mple-broker-sock-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    store::Options so;
    so.sync = store::SyncPolicy::kNone;
    store_ = std::move(store::JobStore::Open(dir_.string(), so).value());
  }
  void TearDown() override {
    for (auto& r : runners_) r->Stop();
    for (auto& t : runner_threads_) t.join();
    if (broker_) broker_->Stop();
    if (broker_thread_.joinable()) broker_thread_.join();
    broker_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  static BrokerOptions Loopback() {
    BrokerOptions o;
    o.bind = {"tcp://127.0.0.1:*"};
    return o;
  }
  void StartBroker(BrokerOptions o) {
    o.core.heartbeat_ms = 200;
    auto b = Broker::Create(std::move(o), *store_);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    broker_ = std::move(*b);
    broker_thread_ = std::thread([this] { EXPECT_TRUE(broker_->Run().ok()); });
  }
  void StartRunner(uint32_t slots, transport::ClientSecurity sec = {}) {
    runner::RunnerOptions o;
    o.endpoint = broker_->endpoints().at(0);
    o.security = sec;
    o.slots = slots;
    o.name = "r" + std::to_string(runners_.size());
    o.worker_argv = {S1MPLE_TEST_WORKER};
    o.heartbeat_ms = 200;
    runners_.push_back(std::make_unique<runner::Runner>(o));
    auto* r = runners_.back().get();
    runner_threads_.emplace_back([r] { EXPECT_TRUE(r->Run().ok()); });
  }
  std::unique_ptr<transport::Client> Connect(transport::ClientSecurity sec = {},
                                             int timeout_ms = 5000) {
    transport::ClientOptions co;
    co.endpoint = broker_->endpoints().at(0);
    co.security = sec;
    co.timeout_ms = timeout_ms;
    return std::move(transport::Client::Connect(co).value());
  }
  // Waits until the sweep has no pending or running job; returns its last status.
  pr::SweepStatus WaitDone(transport::Client& c, const std::string& sweep,
                           std::chrono::seconds limit = 20s) {
    auto end = std::chrono::steady_clock::now() + limit;
    pr::SweepStatus last;
    while (std::chrono::steady_clock::now() < end) {
      auto st = c.GetStatus(sweep);
      if (st.ok() && !st->sweeps.empty()) {
        last = st->sweeps[0];
        if (last.state == "done") return last;
      }
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "sweep " << sweep << " not complete: done " << last.done << " of "
                  << last.total;
    return last;
  }

  fs::path dir_;
  std::unique_ptr<store::JobStore> store_;
  std::unique_ptr<Broker> broker_;
  std::thread broker_thread_;
  std::vector<std::unique_ptr<runner::Runner>> runners_;
  std::vector<std::thread> runner_threads_;
};

TEST_F(BrokerSocketTest, RefusesNonLoopbackWithoutKeys) {
  BrokerOptions o;
  o.bind = {"tcp://0.0.0.0:0"};
  auto b = Broker::Create(o, *store_);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("--insecure"), std::string::npos);
  o.insecure = true;
  EXPECT_TRUE(Broker::Create(o, *store_).ok());
}

TEST_F(BrokerSocketTest, SweepRunsEndToEnd) {
  StartBroker(Loopback());
  StartRunner(2);
  auto client = Connect();
  std::string data = "artifact bytes";
  auto hash = client->PutArtifact(data);
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  pr::SweepSpec spec;
  spec.name = "e2e";
  spec.kind = "diag";
  spec.artifacts = {{"data", *hash}};
  std::vector<std::string> overrides;
  for (int i = 0; i < 40; ++i) overrides.push_back(R"({"value":)" + std::to_string(i * 10) + "}");
  auto sweep = producer::SubmitOverrides(client->options(), spec, overrides);
  ASSERT_TRUE(sweep.ok()) << sweep.status().ToString();
  auto st = WaitDone(*client, *sweep);
  EXPECT_EQ(st.done, 40u);
  auto page = client->GetResults(*sweep, 0, 100);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 40u);
  EXPECT_NE(page->items[7].result.find(R"("value":70)"), std::string::npos)
      << page->items[7].result;
  EXPECT_EQ(runners_[0]->stats().artifacts_fetched, 1u);
  EXPECT_EQ(*client->GetArtifact(*hash), data);
}

TEST_F(BrokerSocketTest, CurveAdmitsKnownKeysOnly) {
  auto server = *transport::GenerateKeyPair();
  auto known = *transport::GenerateKeyPair();
  auto stranger = *transport::GenerateKeyPair();
  BrokerOptions o;
  o.bind = {"tcp://127.0.0.1:*"};
  o.security = {server.public_key, server.secret_key};
  o.authorized_keys = {known.public_key};
  StartBroker(o);
  auto ok = Connect({server.public_key, known.public_key, known.secret_key});
  EXPECT_TRUE(ok->GetStatus().ok());
  auto refused = Connect({server.public_key, stranger.public_key, stranger.secret_key}, 700);
  EXPECT_EQ(refused->GetStatus().status().code(), Status::Code::kUnavailable);
  auto plain = Connect({}, 700);
  EXPECT_EQ(plain->GetStatus().status().code(), Status::Code::kUnavailable);
  auto counters = broker_->counters();
  EXPECT_GE(counters["zap_refused"], 1u);
  EXPECT_GE(counters["handshake_failures"], 1u);
}

TEST_F(BrokerSocketTest, GarbageDoesNotDisturbARunningSweep) {
  StartBroker(Loopback());
  StartRunner(2);
  auto client = Connect();
  pr::SweepSpec spec;
  spec.name = "noise";
  spec.kind = "diag";
  auto sweep = producer::SubmitOverrides(client->options(), spec,
                                         std::vector<std::string>(60, R"({"sleep_ms":5})"));
  ASSERT_TRUE(sweep.ok());
  zmq::context_t ctx;
  zmq::socket_t raw(ctx, zmq::socket_type::dealer);
  raw.set(zmq::sockopt::linger, 0);
  raw.connect(broker_->endpoints()[0]);
  for (int i = 0; i < 20; ++i) {
    raw.send(zmq::str_buffer("garbage"), zmq::send_flags::sndmore);
    raw.send(zmq::str_buffer("\xff\x00\x01"), zmq::send_flags::none);
    raw.send(zmq::str_buffer("s1mple/9"), zmq::send_flags::sndmore);
    raw.send(zmq::str_buffer("READY"), zmq::send_flags::sndmore);
    raw.send(zmq::str_buffer("{}"), zmq::send_flags::none);
  }
  auto st = WaitDone(*client, *sweep);
  EXPECT_EQ(st.done, 60u);
  auto counters = broker_->counters();
  EXPECT_GE(counters["dropped_malformed"], 20u);
  EXPECT_GE(counters["dropped_version"], 20u);
}

// Issue 21: the broker's /metrics text gives jobs by state per sweep and in total, results,
// dropped messages by reason, runners and slots, and the store write histogram; promtool
// accepts it.
TEST_F(BrokerSocketTest, MetricsShowSweepsRunnersDropsAndStoreWrites) {
  StartBroker(Loopback());
  StartRunner(2);
  auto client = Connect();
  pr::SweepSpec spec;
  spec.name = "metered \"sweep\"";
  spec.kind = "diag";
  std::vector<std::string> overrides(40, "{}");
  overrides[3] = R"({"fail":"bad parameter"})";
  auto sweep = producer::SubmitOverrides(client->options(), spec, overrides);
  ASSERT_TRUE(sweep.ok()) << sweep.status().ToString();
  zmq::context_t ctx;
  zmq::socket_t raw(ctx, zmq::socket_type::dealer);
  raw.set(zmq::sockopt::linger, 0);
  raw.connect(broker_->endpoints()[0]);
  raw.send(zmq::str_buffer("garbage"), zmq::send_flags::sndmore);
  raw.send(zmq::str_buffer("\xff\x00\x01"), zmq::send_flags::none);
  raw.send(zmq::str_buffer("s1mple/9"), zmq::send_flags::sndmore);
  raw.send(zmq::str_buffer("READY"), zmq::send_flags::sndmore);
  raw.send(zmq::str_buffer("{}"), zmq::send_flags::none);
  WaitDone(*client, *sweep);
  // Counters are published once per loop turn: wait for the drops to show.
  std::string text;
  for (int i = 0; i < 100; ++i) {
    metrics::TextWriter w;
    WriteBrokerMetrics(w, *broker_, *store_);
    ASSERT_TRUE(w.errors().empty()) << w.errors().front();
    text = w.Take();
    if (text.find("s1mple_broker_messages_dropped_total{reason=\"version\"} 1\n") !=
        std::string::npos)
      break;
    std::this_thread::sleep_for(50ms);
  }
  auto has = [&](const std::string& line) { return text.find(line + "\n") != std::string::npos; };
  const std::string& id = *sweep;
  EXPECT_TRUE(has("s1mple_sweep_jobs{sweep=\"" + id + "\",state=\"done\"} 39")) << text;
  EXPECT_TRUE(has("s1mple_sweep_jobs{sweep=\"" + id + "\",state=\"failed\"} 1"));
  EXPECT_TRUE(has("s1mple_sweep_jobs{sweep=\"" + id + "\",state=\"pending\"} 0"));
  EXPECT_TRUE(has("s1mple_sweep_info{sweep=\"" + id +
                  "\",name=\"metered \\\"sweep\\\"\",kind=\"diag\",state=\"done\"} 1"));
  EXPECT_TRUE(has("s1mple_jobs{state=\"done\"} 39"));
  EXPECT_TRUE(has("s1mple_broker_results_recorded_total 39"));
  EXPECT_TRUE(has("s1mple_broker_failures_reported_total 1"));
  EXPECT_TRUE(has("s1mple_broker_results_duplicate_total 0"));
  EXPECT_TRUE(has("s1mple_broker_messages_dropped_total{reason=\"malformed\"} 1"));
  EXPECT_TRUE(has("s1mple_broker_messages_dropped_total{reason=\"version\"} 1"));
  EXPECT_TRUE(has("s1mple_broker_runners_connected 1"));
  EXPECT_TRUE(has("s1mple_broker_slots{state=\"busy\"} 0"));
  EXPECT_TRUE(has("s1mple_broker_slots{state=\"free\"} 2"));
  EXPECT_TRUE(has("s1mple_broker_store_errors_total 0"));
  EXPECT_TRUE(has("s1mple_broker_lease_expiries_total 0"));
  const HistogramCount writes = ParseHistogramCount(text, "s1mple_broker_store_write_seconds");
  EXPECT_GE(writes.count, 2u) << "at least one lease and one result batch";
  EXPECT_EQ(writes.count, broker_->store_write_seconds().Snapshot().count);
  const std::string whole = RenderBrokerMetrics(*broker_, *store_);
  EXPECT_NE(whole.find("process_resident_memory_bytes "), std::string::npos);
  const metrics::PromtoolResult check = metrics::PromtoolCheckMetrics(whole);
  ASSERT_TRUE(check.ran) << check.output;
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_EQ(check.output, "") << "no lint warnings";
}

}  // namespace
}  // namespace s1mple::broker
