// bench_broker: jobs per second through one broker with durable results, and the broker's CPU
// time per job. Trivial "diag" jobs ({}), runner daemons in their own processes (each with its
// pool of worker processes), the broker and a client in this process; the store syncs every
// result batch (--sync fsync, the default) before it is ACKed.
//
//   bench_broker [--jobs N] [--runners R] [--slots S] [--prefetch P] [--sync fsync|none]
//
// Prints one line per measurement and a JSON summary. Broker CPU per job = this process's
// user+system CPU during the measured sweep divided by its jobs (the client only polls STATUS
// every 20 ms, so nearly all of it is the broker loop and the store's commit thread).
// Internal modes: `bench_broker --runner ENDPOINT NAME SLOTS PREFETCH`, `bench_broker --worker`.
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "broker/broker.h"
#include "producer/submission.h"
#include "runner/job_executor.h"
#include "runner/runner.h"
#include "runner/worker_protocol.h"
#include "store/job_store.h"
#include "transport/client.h"

extern char** environ;

namespace {

using namespace s1mple;
using Clock = std::chrono::steady_clock;

struct Args {
  size_t jobs = 20000;
  int runners = 2;
  uint32_t slots = 2;
  uint32_t prefetch = 64;
  std::string sync = "fsync";
};

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int RunnerMode(char** argv) {
  runner::RunnerOptions o;
  o.endpoint = argv[2];
  o.name = argv[3];
  o.slots = static_cast<uint32_t>(std::stoul(argv[4]));
  o.prefetch = static_cast<uint32_t>(std::stoul(argv[5]));
  o.worker_argv = {"/proc/self/exe", "--worker"};
  static runner::Runner* active = nullptr;
  runner::Runner r(o);
  active = &r;
  signal(SIGTERM, [](int) { active->Stop(); });
  return r.Run().ok() ? 0 : 1;
}

pid_t Spawn(std::vector<std::string> argv) {
  std::vector<char*> a;
  for (auto& s : argv) a.push_back(s.data());
  a.push_back(nullptr);
  pid_t pid = -1;
  posix_spawn(&pid, a[0], nullptr, nullptr, a.data(), environ);
  return pid;
}

// Submits `n` trivial jobs and waits for the sweep to complete; returns (seconds from commit
// to complete, CPU seconds of this process meanwhile, seconds to submit).
struct Measured {
  double submit_s = 0;
  double run_s = 0;
  double cpu_s = 0;
};

Measured RunSweep(transport::Client& c, size_t n) {
  protocol::SweepSpec spec;
  spec.name = "bench";
  spec.kind = "diag";
  std::vector<std::string> overrides(n, "{}");
  double cpu0 = CpuSeconds();
  auto t0 = Clock::now();
  auto sweep = producer::SubmitOverrides(c.options(), spec, overrides);
  auto t1 = Clock::now();
  if (!sweep.ok()) {
    std::fprintf(stderr, "submit: %s\n", sweep.status().ToString().c_str());
    std::exit(1);
  }
  while (true) {
    auto st = c.GetStatus(*sweep);
    if (st.ok() && st->sweeps[0].state == "done") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto t2 = Clock::now();
  Measured m;
  m.submit_s = std::chrono::duration<double>(t1 - t0).count();
  m.run_s = std::chrono::duration<double>(t2 - t1).count();
  m.cpu_s = CpuSeconds() - cpu0;
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--worker") == 0) {
    runner::KindDispatcher executor;
    return runner::RunWorkerProcess(0, 1, executor);
  }
  if (argc >= 6 && std::strcmp(argv[1], "--runner") == 0) return RunnerMode(argv);
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    std::string v = argv[i + 1];
    if (k == "--jobs")
      a.jobs = std::stoul(v);
    else if (k == "--runners")
      a.runners = std::stoi(v);
    else if (k == "--slots")
      a.slots = static_cast<uint32_t>(std::stoul(v));
    else if (k == "--prefetch")
      a.prefetch = static_cast<uint32_t>(std::stoul(v));
    else if (k == "--sync")
      a.sync = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::warn);
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("s1mple-bench-broker-" + std::to_string(getpid()));
  fs::remove_all(dir);
  store::Options so;
  so.sync = a.sync == "none" ? store::SyncPolicy::kNone : store::SyncPolicy::kFsync;
  auto st = store::JobStore::Open(dir.string(), so);
  if (!st.ok()) {
    std::fprintf(stderr, "store: %s\n", st.status().ToString().c_str());
    return 1;
  }
  broker::BrokerOptions bo;
  bo.bind = {"tcp://127.0.0.1:*"};
  auto b = broker::Broker::Create(bo, **st);
  if (!b.ok()) {
    std::fprintf(stderr, "broker: %s\n", b.status().ToString().c_str());
    return 1;
  }
  std::string ep = (*b)->endpoints()[0];
  std::thread loop([&] { (void)(*b)->Run(); });
  std::vector<pid_t> runners;
  for (int i = 0; i < a.runners; ++i) {
    runners.push_back(Spawn({"/proc/self/exe", "--runner", ep, "bench-runner-" + std::to_string(i),
                             std::to_string(a.slots), std::to_string(a.prefetch)}));
  }
  transport::ClientOptions co;
  co.endpoint = ep;
  co.timeout_ms = 60000;
  auto c = transport::Client::Connect(co);
  RunSweep(**c, 2000);  // warm-up: runners connected, workers spawned, store warm
  Measured m = RunSweep(**c, a.jobs);
  double jobs_per_s = static_cast<double>(a.jobs) / m.run_s;
  double cpu_us = m.cpu_s * 1e6 / static_cast<double>(a.jobs);
  std::printf("bench_broker: %zu jobs, %d runners x %u slots (prefetch %u), sync %s\n", a.jobs,
              a.runners, a.slots, a.prefetch, a.sync.c_str());
  std::printf("  submit           %8.3f s  (%.0f jobs/s)\n", m.submit_s,
              static_cast<double>(a.jobs) / m.submit_s);
  std::printf("  run to complete  %8.3f s  (%.0f jobs/s, durable results)\n", m.run_s, jobs_per_s);
  std::printf("  broker CPU       %8.1f us/job  (%.2f%% of a 10 ms backtest)\n", cpu_us,
              cpu_us / 100.0);
  std::printf(
      "{\"jobs\":%zu,\"runners\":%d,\"slots\":%u,\"prefetch\":%u,\"sync\":\"%s\",\"jobs_per_s\":%."
      "0f,"
      "\"submit_jobs_per_s\":%.0f,\"broker_cpu_us_per_job\":%.2f}\n",
      a.jobs, a.runners, a.slots, a.prefetch, a.sync.c_str(), jobs_per_s,
      static_cast<double>(a.jobs) / m.submit_s, cpu_us);
  for (pid_t p : runners) kill(p, SIGTERM);
  for (pid_t p : runners) {
    int status = 0;
    waitpid(p, &status, 0);
  }
  c->reset();
  (*b)->Stop();
  loop.join();
  b->reset();
  st->reset();
  fs::remove_all(dir);
  return 0;
}
