// store_crash_writer: a child process for the store tests.
//
//   store_crash_writer open DIR
//       Opens the store, prints the status, exits 0 (opened) or 1 (error on stderr).
//   store_crash_writer run DIR SEED JOBS
//       Submits (or continues submitting) the sweep named "crash" with JOBS jobs, then works
//       it off from two threads with random completes, retryable and deterministic failures,
//       duplicates, abandoned leases and late results. After every durable transition that
//       recorded a result it writes "C <index> <attempt> <runner>\n" to stdout (one write(),
//       atomic on a pipe); the result bytes are "result:<index>:<attempt>:<runner>". Prints
//       "FINISHED\n" when the sweep is DONE. The parent kills it with SIGKILL at random.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/job_store.h"

namespace {

using namespace s1mple::store;
using s1mple::Result;
using s1mple::Status;

void Say(const std::string& line) {
  std::string s = line + "\n";
  if (::write(1, s.data(), s.size()) != static_cast<ssize_t>(s.size())) std::_Exit(3);
}

[[noreturn]] void Die(const std::string& what, const s1mple::Status& st) {
  std::cerr << "crash_writer: " << what << ": " << st.ToString() << std::endl;
  std::_Exit(2);
}

std::string ResultBytes(JobIndex index, Attempt attempt, const RunnerId& runner) {
  return "result:" + std::to_string(index) + ":" + std::to_string(attempt) + ":" + runner;
}

SweepId Submit(JobStore& store, std::uint64_t jobs, std::mt19937& rng) {
  SweepId sw;
  for (const SweepInfo& s : store.ListSweeps()) {
    if (s.name == "crash") sw = s.id;
  }
  if (sw.empty()) {
    SweepSpec spec;
    spec.name = "crash";
    spec.kind = SweepKind::kDiag;
    spec.plan_text = "crash test plan";
    spec.max_attempts = 4;
    Result<SweepId> id = store.CreateSweep(spec);
    if (!id.ok()) Die("CreateSweep", id.status());
    sw = *id;
  }
  Result<SweepInfo> info = store.GetSweep(sw);
  if (!info.ok()) Die("GetSweep", info.status());
  if (info->state != SweepState::kSubmitting) return sw;
  for (JobIndex first = info->job_count; first < jobs;) {
    std::uint64_t n = std::min<std::uint64_t>(jobs - first, 50 + rng() % 100);
    std::vector<std::string> chunk;
    for (std::uint64_t i = 0; i < n; ++i)
      chunk.push_back("{\"i\":" + std::to_string(first + i) + "}");
    if (Status st = store.AddJobs(sw, first, chunk); !st.ok()) Die("AddJobs", st);
    first += n;
  }
  if (Status st = store.SealSweep(sw, jobs); !st.ok()) Die("SealSweep", st);
  return sw;
}

void Report(const std::vector<Transition>& batch, const std::vector<Outcome>& outcomes) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto* c = std::get_if<CompleteOp>(&batch[i]);
    if (c && (outcomes[i] == Outcome::kDone || outcomes[i] == Outcome::kDoneLate)) {
      Say("C " + std::to_string(c->index) + " " + std::to_string(c->attempt) + " " + c->runner);
    }
  }
}

void Work(JobStore& store, const SweepId& sw, const RunnerId& runner, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<LeasedJob> abandoned;
  for (;;) {
    Result<SweepInfo> info = store.GetSweep(sw);
    if (!info.ok()) Die("GetSweep", info.status());
    if (info->state == SweepState::kDone) return;
    if (Result<std::vector<EndedLease>> e = store.ExpireLeases(SystemClock().NowMs()); !e.ok()) {
      Die("ExpireLeases", e.status());
    }
    Result<std::vector<LeasedJob>> leased =
        store.LeaseNext(sw, runner, 1 + rng() % 8, 60 + rng() % 200);
    if (!leased.ok()) {
      if (leased.status().IsFailedPrecondition()) return;  // became DONE meanwhile
      Die("LeaseNext", leased.status());
    }
    std::vector<Transition> batch;
    for (const LeasedJob& j : *leased) {
      unsigned r = rng() % 100;
      if (r < 70) {
        batch.push_back(
            CompleteOp{sw, j.index, j.attempt, runner, ResultBytes(j.index, j.attempt, runner)});
        if (r < 5) batch.push_back(batch.back());  // a resend: must come back as duplicate
      } else if (r < 82) {
        batch.push_back(FailOp{sw, j.index, j.attempt, runner, "worker crashed", true});
      } else if (r < 84) {
        batch.push_back(FailOp{sw, j.index, j.attempt, runner, "bad config", false});
      } else {
        abandoned.push_back(j);  // its lease will expire; maybe its result comes late
      }
    }
    if (!abandoned.empty() && rng() % 4 == 0) {
      const LeasedJob j = abandoned.front();
      abandoned.erase(abandoned.begin());
      batch.push_back(
          CompleteOp{sw, j.index, j.attempt, runner, ResultBytes(j.index, j.attempt, runner)});
    }
    if (batch.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    if (rng() % 2) {
      Result<std::vector<Outcome>> out = store.Apply(batch);
      if (!out.ok()) Die("Apply", out.status());
      Report(batch, *out);
    } else {
      for (const Transition& t : batch) {
        Result<Outcome> o =
            std::holds_alternative<CompleteOp>(t)
                ? store.Complete(std::get<CompleteOp>(t).sweep, std::get<CompleteOp>(t).index,
                                 std::get<CompleteOp>(t).attempt, runner,
                                 std::get<CompleteOp>(t).result)
                : store.Fail(std::get<FailOp>(t).sweep, std::get<FailOp>(t).index,
                             std::get<FailOp>(t).attempt, runner, std::get<FailOp>(t).reason,
                             std::get<FailOp>(t).retryable);
        if (!o.ok()) Die("transition", o.status());
        Report(std::vector<Transition>{t}, std::vector<Outcome>{*o});
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "open") {
    Result<std::unique_ptr<JobStore>> s = JobStore::Open(args[1]);
    if (!s.ok()) {
      std::cerr << s.status().ToString() << std::endl;
      return 1;
    }
    std::cout << "opened" << std::endl;
    return 0;
  }
  if (args.size() != 4 || args[0] != "run") {
    std::cerr << "usage: store_crash_writer open DIR | run DIR SEED JOBS" << std::endl;
    return 64;
  }
  const unsigned seed = static_cast<unsigned>(std::stoul(args[2]));
  const std::uint64_t jobs = std::stoull(args[3]);
  Result<std::unique_ptr<JobStore>> opened = JobStore::Open(args[1]);
  if (!opened.ok()) Die("Open", opened.status());
  JobStore& store = **opened;
  std::mt19937 rng(seed);
  const SweepId sw = Submit(store, jobs, rng);
  const std::string pid = std::to_string(::getpid());
  std::thread a([&] { Work(store, sw, "p" + pid + "a", seed * 2 + 1); });
  std::thread b([&] { Work(store, sw, "p" + pid + "b", seed * 2 + 2); });
  a.join();
  b.join();
  Say("FINISHED");
  return 0;
}
