// bench_sweep: submits one sweep of trivial "diag" jobs to a running broker, waits until every
// job has a durable outcome, and reports the throughput. The broker acknowledges a job's result
// only after the store has synced it (DESIGN.md decision 5), and STATUS counts a job done only
// once it is in the store, so "done == total" means every result is durably recorded.
// scripts/bench starts `s1mple broker` and `s1mple runner` processes around it and reads the
// broker's peak RSS from /proc.
//
//   bench_sweep --broker tcp://127.0.0.1:PORT [--jobs 10000] [--diag '{}'] [--poll-ms 5]
//               [--wait-runners N] [--timeout-s 900] [--verify] [--json]
//
// --wait-runners N: before the clock starts, wait until the broker reports N runners.
// --submit-only: submit, report the submission time, and exit without waiting (the jobs stay
// pending in the broker's store; used to see the broker's memory after a huge submission).
//
// Timed: from the first SUBMIT message to the STATUS that shows every job finished. --verify
// then pages through RESULTS (not timed) and checks each job is done with the diag result
// {"index": i, "value": 2i, ...}. Exit codes: 0 ok, 2 bad arguments, 1 failure.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "producer/submission.h"
#include "transport/client.h"

namespace {

namespace protocol = s1mple::protocol;
namespace transport = s1mple::transport;
namespace producer = s1mple::producer;

struct Args {
  std::string broker;
  uint64_t jobs = 10000;
  std::string diag = "{}";
  int poll_ms = 5;
  int wait_runners = 0;
  int timeout_s = 900;
  bool verify = false;
  bool submit_only = false;
  bool json = false;
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(
      stderr,
      "bench_sweep: %s\n"
      "usage: bench_sweep --broker ENDPOINT [--jobs N] [--diag JSON] [--poll-ms 5]\n"
      "                   [--wait-runners N] [--timeout-s 900] [--verify] [--submit-only]\n"
      "                   [--json]\n",
      why.c_str());
  std::exit(2);
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(std::string(k) + " needs a value");
      return argv[++i];
    };
    auto count = [&](long long lo, long long hi) -> long long {
      const std::string v = value();
      char* end = nullptr;
      const long long x = std::strtoll(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || x < lo || x > hi)
        Usage(std::string(k) + ": '" + v + "' is not an integer in [" + std::to_string(lo) + ", " +
              std::to_string(hi) + "]");
      return x;
    };
    if (k == "--broker")
      a.broker = value();
    else if (k == "--jobs")
      a.jobs = static_cast<uint64_t>(count(1, 10'000'000));
    else if (k == "--diag")
      a.diag = value();
    else if (k == "--poll-ms")
      a.poll_ms = static_cast<int>(count(1, 10000));
    else if (k == "--wait-runners")
      a.wait_runners = static_cast<int>(count(0, 10000));
    else if (k == "--timeout-s")
      a.timeout_s = static_cast<int>(count(1, 86400));
    else if (k == "--verify")
      a.verify = true;
    else if (k == "--submit-only")
      a.submit_only = true;
    else if (k == "--json")
      a.json = true;
    else
      Usage("unknown argument '" + std::string(k) + "'");
  }
  if (a.broker.empty()) Usage("--broker is required");
  if (nlohmann::json::parse(a.diag, nullptr, false).is_discarded())
    Usage("--diag: not a JSON object: " + a.diag);
  return a;
}

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "bench_sweep: %s\n", what.c_str());
  return 1;
}

// Pages through every result; returns an empty string when all are done and correct.
std::string VerifyResults(transport::Client& client, const std::string& sweep, uint64_t jobs) {
  uint64_t after = 0, seen = 0;
  for (;;) {
    auto page = client.GetResults(sweep, after, protocol::kMaxResultsPage);
    if (!page.ok()) return "RESULTS: " + page.status().ToString();
    for (const auto& item : page->items) {
      if (item.state != "done") return "job " + std::to_string(item.index) + " is " + item.state;
      const auto r = nlohmann::json::parse(item.result, nullptr, false);
      if (r.is_discarded() || r.value("index", uint64_t{0}) != item.index ||
          r.value("value", uint64_t{0}) != item.index * 2)
        return "job " + std::to_string(item.index) + ": unexpected result " + item.result;
      ++seen;
    }
    if (page->end || page->items.empty()) break;
    after = page->next;
  }
  if (seen != jobs) return std::to_string(seen) + " results, expected " + std::to_string(jobs);
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = Parse(argc, argv);
  using Clock = std::chrono::steady_clock;

  transport::ClientOptions options;
  options.endpoint = a.broker;
  options.timeout_ms = 60000;
  auto client = transport::Client::Connect(options);
  if (!client.ok()) return Fail(client.status().ToString());

  for (auto until = Clock::now() + std::chrono::seconds(60);;) {
    auto st = (*client)->GetStatus();
    if (!st.ok()) return Fail("status: " + st.status().ToString());
    if (st->runners.size() >= static_cast<size_t>(a.wait_runners)) break;
    if (Clock::now() > until)
      return Fail("only " + std::to_string(st->runners.size()) + " of " +
                  std::to_string(a.wait_runners) + " runners after 60 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  protocol::SweepSpec spec;
  spec.name = "bench diag " + std::to_string(a.jobs);
  spec.kind = "diag";
  spec.plan = "# bench_sweep: " + std::to_string(a.jobs) + " diag jobs " + a.diag + "\n";
  const std::vector<std::string> overrides(a.jobs, a.diag);

  const double cpu0 = CpuSeconds();
  const auto t0 = Clock::now();
  auto sweep = producer::SubmitOverrides((*client)->options(), spec, overrides);
  if (!sweep.ok()) return Fail("submit: " + sweep.status().ToString());
  const double submit_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (a.submit_only) {
    const nlohmann::json out = {{"sweep", *sweep}, {"jobs", a.jobs}, {"submit_seconds", submit_s}};
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }

  const auto deadline = t0 + std::chrono::seconds(a.timeout_s);
  protocol::SweepStatus last;
  for (;;) {
    auto st = (*client)->GetStatus(*sweep);
    if (!st.ok()) return Fail("status: " + st.status().ToString());
    for (const auto& s : st->sweeps)
      if (s.sweep == *sweep) last = s;
    if (last.total == a.jobs && last.done + last.failed == a.jobs) break;
    if (Clock::now() > deadline)
      return Fail("timed out: " + std::to_string(last.done) + " of " + std::to_string(a.jobs) +
                  " done");
    std::this_thread::sleep_for(std::chrono::milliseconds(a.poll_ms));
  }
  const double total_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu_s = CpuSeconds() - cpu0;

  std::string verify_error;
  if (a.verify) verify_error = VerifyResults(**client, *sweep, a.jobs);

  nlohmann::json out = {
      {"sweep", *sweep},
      {"jobs", a.jobs},
      {"done", last.done},
      {"failed", last.failed},
      {"submit_seconds", submit_s},
      {"seconds", total_s},
      {"jobs_per_s", static_cast<double>(a.jobs) / total_s},
      {"client_cpu_seconds", cpu_s},
      {"verified", a.verify && verify_error.empty()},
  };
  if (!verify_error.empty()) out["verify_error"] = verify_error;
  if (a.json) {
    std::printf("%s\n", out.dump().c_str());
  } else {
    for (const auto& [k, v] : out.items()) std::printf("%s: %s\n", k.c_str(), v.dump().c_str());
  }
  return last.failed == 0 && verify_error.empty() ? 0 : 1;
}
