// Issue 21: /metrics of real processes. A broker and a runner process run the demo sweep while a
// real Prometheus (Debian's prometheus package) scrapes both on loopback; its HTTP API must
// give the counters' values. `promtool check metrics` passes on the broker's, the runner's and
// the embedded mode's exposition.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/metrics/promtool.h"
#include "tests/support/process.h"
#include "tests/system/daemon_process.h"

namespace s1mple::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

std::string Slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A TCP port free on loopback now (bound and released; the test binds it right after).
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// The first match of `pattern`'s group 1 in what `p` logged, waiting up to `limit` for it.
std::string WaitForLog(const DaemonProcess& p, const std::string& pattern,
                       std::chrono::milliseconds limit = 30000ms) {
  const std::regex re(pattern);
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    std::smatch m;
    const std::string log = p.Log();
    if (std::regex_search(log, m, re)) return m[1].str();
    std::this_thread::sleep_for(50ms);
  }
  return {};
}

// GET http://127.0.0.1:port/path; empty when it does not answer 200.
std::string HttpGet(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2);
  c.set_read_timeout(10);
  auto res = c.Get(path);
  return res && res->status == 200 ? res->body : std::string();
}

// The value of the sample `line_start` ("name{labels} ") in an exposition; -1 when absent.
double SampleValue(const std::string& text, const std::string& line_start) {
  const size_t at = text.find("\n" + line_start);
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + 1 + line_start.size()));
}

std::string PrometheusBin() {
  const char* p = std::getenv("PROMETHEUS");
  return p ? p : "/usr/bin/prometheus";
}

class ClusterMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("s1mple-cluster-metrics-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // The demo's 384 configurations on 10x the bars (200,000 each): a sweep of several seconds
  // even on an idle machine, so that scrapes (every 250 ms) land while jobs run. On the demo's
  // own 20,000 bars an idle machine finished between two scrapes.
  fs::path Plan() const {
    std::string op = Slurp(ProjectRoot() / "config/operations/ema_cross.yaml");
    op.replace(op.find("bars: 20000"), 11, "bars: 200000");
    const std::string root = (ProjectRoot() / "config").string() + "/";
    for (size_t at; (at = op.find(" ../")) != std::string::npos;) op.replace(at, 4, " " + root);
    std::ofstream(dir_ / "ema_cross_long.yaml") << op;
    std::string plan = Slurp(ProjectRoot() / "config/optimizations/demo_ema_cross.yaml");
    const std::string base = "config/operations/ema_cross.yaml";
    plan.replace(plan.find(base), base.size(), (dir_ / "ema_cross_long.yaml").string());
    std::ofstream(dir_ / "plan.yaml") << plan;
    return dir_ / "plan.yaml";
  }
  fs::path dir_;
};

// Prometheus's answer to a query of its HTTP API (the JSON document; discarded when none).
json PromQueryDoc(int port, const std::string& query) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(10);
  auto res = c.Get("/api/v1/query", httplib::Params{{"query", query}}, httplib::Headers{});
  if (!res) return json(json::value_t::discarded);
  return json::parse(res->body, nullptr, false);
}

// The value of the first sample a query gives, or nullopt.
std::optional<double> PromQuery(int port, const std::string& query) {
  const json doc = PromQueryDoc(port, query);
  if (doc.is_discarded() || doc.value("status", "") != "success") return std::nullopt;
  const json& result = doc["data"]["result"];
  if (!result.is_array() || result.empty()) return std::nullopt;
  return std::stod(result[0]["value"][1].get<std::string>());
}

TEST_F(ClusterMetricsTest, PrometheusScrapesTheBrokerAndARunnerDuringASweep) {
  ASSERT_TRUE(fs::exists(PrometheusBin()))
      << PrometheusBin() << " missing: install Debian's prometheus package (scripts/setup does)";
  const fs::path endpoint_file = dir_ / "endpoint";
  DaemonProcess broker({S1mpleBin(), "broker", "--bind", "tcp://127.0.0.1:*", "--store",
                        (dir_ / "store").string(), "--sync", "none", "--endpoint-file",
                        endpoint_file.string(), "--http", "127.0.0.1:0", "--heartbeat-ms", "200"},
                       dir_ / "broker.log");
  const std::string endpoint = WaitForLog(broker, "listening on (tcp://[0-9.:]+)");
  ASSERT_FALSE(endpoint.empty()) << broker.Log();
  const std::string http_port =
      WaitForLog(broker, "Trade Explorer on http://127\\.0\\.0\\.1:(\\d+)/");
  ASSERT_FALSE(http_port.empty()) << broker.Log();
  DaemonProcess runner({S1mpleBin(), "runner", "--connect", endpoint, "--slots", "2", "--name",
                        "metered", "--metrics-addr", "127.0.0.1:0", "--heartbeat-ms", "200"},
                       dir_ / "runner.log");
  const std::string runner_port =
      WaitForLog(runner, "metrics on http://127\\.0\\.0\\.1:(\\d+)/metrics");
  ASSERT_FALSE(runner_port.empty()) << runner.Log();

  // Prometheus on loopback, scraping both every 250 ms.
  const int prom_port = FreePort();
  std::ofstream(dir_ / "prometheus.yml") << "global:\n"
                                            "  scrape_interval: 250ms\n"
                                            "  evaluation_interval: 250ms\n"
                                            "scrape_configs:\n"
                                            "  - job_name: s1mple-broker\n"
                                            "    static_configs:\n"
                                            "      - targets: ['127.0.0.1:"
                                         << http_port
                                         << "']\n"
                                            "  - job_name: s1mple-runner\n"
                                            "    static_configs:\n"
                                            "      - targets: ['127.0.0.1:"
                                         << runner_port << "']\n";
  DaemonProcess prometheus({PrometheusBin(), "--config.file=" + (dir_ / "prometheus.yml").string(),
                            "--storage.tsdb.path=" + (dir_ / "tsdb").string(),
                            "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                           dir_ / "prometheus.log");
  bool ready = false;
  for (int i = 0; i < 300 && !ready; ++i) {
    ready = !HttpGet(prom_port, "/-/ready").empty();
    if (!ready) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(ready) << "Prometheus not ready within 30 s\n" << prometheus.Log();
  // Both targets up before the sweep starts, so the scrapes cover it.
  bool up = false;
  for (int i = 0; i < 150 && !up; ++i) {
    up = PromQuery(prom_port, "sum(up)").value_or(0) == 2;
    if (!up) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(up) << "both targets up\n" << prometheus.Log();

  auto r = s1mple::testing::Run({S1mpleBin(), "optimize", Plan().string(), "--broker", endpoint,
                                 "--out", (dir_ / "out").string(), "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("sweep (sw-[0-9a-f]{12}):"))) << r.out;
  const std::string sweep = m[1].str();

  // Prometheus's own view of the counters, once a scrape after the sweep has landed.
  const std::string done_query =
      "s1mple_sweep_jobs{job=\"s1mple-broker\",sweep=\"" + sweep + "\",state=\"done\"}";
  std::optional<double> recorded, done, succeeded, busy_max;
  for (int i = 0; i < 150; ++i) {
    recorded = PromQuery(prom_port, "s1mple_broker_results_recorded_total{job=\"s1mple-broker\"}");
    done = PromQuery(prom_port, done_query);
    succeeded = PromQuery(prom_port,
                          "s1mple_runner_jobs_total{job=\"s1mple-runner\",outcome=\"succeeded\"}");
    if (recorded == 384 && done == 384 && succeeded == 384) break;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(recorded.value_or(-1), 384) << prometheus.Log();
  EXPECT_EQ(done.value_or(-1), 384);
  EXPECT_EQ(succeeded.value_or(-1), 384);
  // What Prometheus saw while it ran: scrapes every 250 ms over a sweep of a few seconds.
  busy_max = PromQuery(prom_port, "max_over_time(s1mple_broker_slots{state=\"busy\"}[5m])");
  const auto slots = PromQuery(prom_port, "sum(s1mple_broker_slots)");
  EXPECT_EQ(slots.value_or(-1), 2) << "busy + free = the runner's 2 slots";
  EXPECT_GE(busy_max.value_or(-1), 1) << "a scrape landed while jobs ran";
  EXPECT_GT(PromQuery(prom_port, "s1mple_broker_store_write_seconds_count").value_or(0), 0);

  // The dashboard (docs/grafana/s1mple.json, whose queries OPERATIONS.md gives): Prometheus
  // accepts every query; progress and ETA of the finished sweep are 1 and 0.
  const json dash = json::parse(Slurp(ProjectRoot() / "docs/grafana/s1mple.json"), nullptr, false);
  ASSERT_FALSE(dash.is_discarded()) << "docs/grafana/s1mple.json does not parse";
  std::map<std::string, std::optional<double>> by_title;
  size_t queries = 0;
  for (const auto& panel : dash["panels"]) {
    for (const auto& target : panel["targets"]) {
      std::string expr = target["expr"].get<std::string>();
      for (size_t at; (at = expr.find("$sweep")) != std::string::npos;) expr.replace(at, 6, sweep);
      const json doc = PromQueryDoc(prom_port, expr);
      EXPECT_EQ(doc.value("status", ""), "success") << panel["title"] << ": " << expr << "\n"
                                                    << doc;
      ++queries;
      if (target["refId"] == "A")
        by_title[panel["title"].get<std::string>()] = PromQuery(prom_port, expr);
    }
  }
  EXPECT_GE(queries, 10u);
  EXPECT_EQ(by_title["Progress"].value_or(-1), 1) << "the sweep is finished";
  EXPECT_EQ(by_title["ETA"].value_or(-1), 0) << "nothing left";
  EXPECT_GT(by_title["Jobs finished per second"].value_or(0), 0);

  // promtool on both expositions as the processes serve them.
  const std::string broker_text = HttpGet(std::stoi(http_port), "/metrics");
  const std::string runner_text = HttpGet(std::stoi(runner_port), "/metrics");
  EXPECT_EQ(SampleValue(broker_text, "s1mple_broker_runners_connected "), 1);
  EXPECT_EQ(SampleValue(runner_text, "s1mple_runner_jobs_total{outcome=\"succeeded\"} "), 384);
  EXPECT_GT(SampleValue(runner_text, "process_resident_memory_bytes "), 0);
  for (const auto* text : {&broker_text, &runner_text}) {
    const auto check = metrics::PromtoolCheckMetrics(*text);
    ASSERT_TRUE(check.ran) << check.output;
    EXPECT_EQ(check.exit_code, 0) << check.output << *text;
    EXPECT_EQ(check.output, "") << "no lint warnings";
  }

  // The same outputs remotely (issue 21): `s1mple results --broker` writes report.html too.
  auto res = s1mple::testing::Run(
      {S1mpleBin(), "results", sweep, "--broker", endpoint, "--out", (dir_ / "again").string()});
  ASSERT_EQ(res.exit_code, 0) << res.out << res.err;
  for (const auto* out : {"out", "again"}) {
    const std::string html = Slurp(dir_ / out / "report.html");
    EXPECT_NE(html.find("id=\"snapshot\""), std::string::npos) << out << "/report.html";
    EXPECT_NE(html.find(sweep), std::string::npos) << out << "/report.html names the sweep";
  }

  runner.Signal(SIGTERM);
  EXPECT_EQ(runner.Wait(30000ms).value_or(-1), 0) << runner.Log();
  broker.Signal(SIGTERM);
  EXPECT_EQ(broker.Wait(30000ms).value_or(-1), 0) << broker.Log();
  prometheus.Signal(SIGTERM);
  prometheus.Wait(30000ms);
}

// The embedded mode with --http serves one exposition: the broker's families, the local
// runner's and process_* once each.
TEST_F(ClusterMetricsTest, EmbeddedModeServesBrokerAndRunnerMetricsOnItsHttpServer) {
  const int port = FreePort();
  DaemonProcess sweep({S1mpleBin(), "optimize", Plan().string(), "--store",
                       (dir_ / "store").string(), "--out", (dir_ / "out").string(), "--http",
                       "127.0.0.1:" + std::to_string(port), "--runners", "1", "--no-progress"},
                      dir_ / "sweep.log");
  // The server lives while the sweep runs: scrape as soon as it answers, again until the runner
  // has finished a job.
  std::string text;
  const auto end = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < end) {
    std::string t = HttpGet(port, "/metrics");
    if (!t.empty()) text = std::move(t);
    if (SampleValue(text, "s1mple_runner_jobs_total{outcome=\"succeeded\"} ") > 0) break;
    if (sweep.Wait(0ms)) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_FALSE(text.empty()) << "no /metrics answer while the sweep ran\n" << sweep.Log();
  EXPECT_GE(SampleValue(text, "s1mple_jobs{state=\"done\"} "), 0) << text;
  EXPECT_EQ(SampleValue(text, "s1mple_broker_runners_connected "), 1) << text;
  EXPECT_EQ(SampleValue(text, "s1mple_runner_slots "), 1) << text;
  EXPECT_GT(SampleValue(text, "s1mple_runner_jobs_total{outcome=\"succeeded\"} "), 0) << text;
  const auto check = metrics::PromtoolCheckMetrics(text);
  ASSERT_TRUE(check.ran) << check.output;
  EXPECT_EQ(check.exit_code, 0) << check.output << text;
  EXPECT_EQ(check.output, "") << "no lint warnings";
  EXPECT_EQ(sweep.Wait(120000ms).value_or(-1), 0) << sweep.Log();
}

}  // namespace
}  // namespace s1mple::testing
