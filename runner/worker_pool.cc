#include "runner/worker_pool.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "runner/worker_protocol.h"

extern char** environ;

namespace s1mple::runner {
namespace {

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

uint64_t MsBetween(SteadyTime a, SteadyTime b) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count());
}

}  // namespace

WorkerPool::WorkerPool(PoolOptions options, ArtifactLookup artifacts)
    : options_(std::move(options)), artifacts_(std::move(artifacts)), workers_(options_.workers) {}

WorkerPool::~WorkerPool() {
  for (auto& w : workers_) Reap(w, /*kill=*/true);
}

size_t WorkerPool::busy() const {
  size_t n = 0;
  for (const auto& w : workers_) n += w.busy ? 1 : 0;
  return n;
}

Status WorkerPool::Spawn(Worker& w) {
  int to[2];
  int from[2];
  if (::pipe2(to, O_CLOEXEC) != 0)
    return Status::Internal(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(from, O_CLOEXEC) != 0) {
    ::close(to[0]);
    ::close(to[1]);
    return Status::Internal(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to[0], 0);
  posix_spawn_file_actions_adddup2(&actions, from[1], 1);
  std::vector<char*> argv;
  for (const auto& a : options_.worker_argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = argv.size() > 1 ? posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ)
                           : EINVAL;
  posix_spawn_file_actions_destroy(&actions);
  ::close(to[0]);
  ::close(from[1]);
  if (rc != 0) {
    ::close(to[1]);
    ::close(from[0]);
    return Status::Internal(
        "cannot spawn worker '" +
        (options_.worker_argv.empty() ? std::string("?") : options_.worker_argv[0]) +
        "': " + std::strerror(rc));
  }
  ::fcntl(from[0], F_SETFL, ::fcntl(from[0], F_GETFL) | O_NONBLOCK);
  w.pid = pid;
  w.to_fd = to[1];
  w.from_fd = from[0];
  w.sent.clear();
  w.inbox.clear();
  ++spawned_;
  if (w.ever_spawned) ++restarts_;
  w.ever_spawned = true;
  return Status::Ok();
}

void WorkerPool::Reap(Worker& w, bool kill) {
  CloseFd(w.to_fd);
  CloseFd(w.from_fd);
  if (w.pid > 0) {
    if (kill) ::kill(w.pid, SIGKILL);
    int status = 0;
    while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  w.pid = -1;
  w.sent.clear();
  w.inbox.clear();
}

Status WorkerPool::Start(const JobInput& job, uint64_t timeout_ms) {
  Worker* w = nullptr;
  for (auto& c : workers_) {
    if (!c.busy && c.pid > 0) {
      w = &c;
      break;
    }
  }
  if (!w) {
    for (auto& c : workers_) {
      if (!c.busy) {
        w = &c;
        break;
      }
    }
  }
  if (!w) return Status::FailedPrecondition("no idle worker");
  // Two tries: a worker that died while idle shows up as a failed write; respawn once.
  for (int tries = 0; tries < 2; ++tries) {
    if (w->pid <= 0) S1MPLE_RETURN_IF_ERROR(Spawn(*w));
    WorkerRequest req;
    req.job = job;
    for (const auto& [role, hash] : job.artifacts) {
      if (w->sent.count(hash)) continue;
      const std::string* bytes = artifacts_(hash);
      if (!bytes)
        return Status::NotFound("artifact " + hash + " (" + role + ") not in the runner's cache");
      req.blobs[hash] = *bytes;
    }
    if (WriteAll(w->to_fd, EncodeWorkerRequest(req))) {
      for (const auto& [hash, bytes] : req.blobs) w->sent.insert(hash);
      w->busy = true;
      w->job = job;
      w->started = std::chrono::steady_clock::now();
      w->timeout_ms = timeout_ms;
      w->deadline.reset();
      if (timeout_ms > 0) w->deadline = w->started + std::chrono::milliseconds(timeout_ms);
      return Status::Ok();
    }
    Reap(*w, /*kill=*/true);
  }
  return Status::Internal("worker died before taking a job");
}

std::vector<int> WorkerPool::Fds() const {
  std::vector<int> fds;
  for (const auto& w : workers_) {
    if (w.busy && w.from_fd >= 0) fds.push_back(w.from_fd);
  }
  return fds;
}

std::optional<SteadyTime> WorkerPool::NextDeadline() const {
  std::optional<SteadyTime> next;
  for (const auto& w : workers_) {
    if (w.busy && w.deadline && (!next || *w.deadline < *next)) next = w.deadline;
  }
  return next;
}

std::string WorkerPool::DescribeExit(int status) const {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    return "worker crashed (signal " + std::to_string(sig) + ": " + ::strsignal(sig) + ")";
  }
  if (WIFEXITED(status)) return "worker exited with code " + std::to_string(WEXITSTATUS(status));
  return "worker died";
}

PoolCompletion WorkerPool::Finish(Worker& w, JobOutput out, SteadyTime now) {
  PoolCompletion c;
  c.job = std::move(w.job);
  c.output = std::move(out);
  c.elapsed_ms = MsBetween(w.started, now);
  c.elapsed_us = static_cast<uint64_t>(std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::microseconds>(now - w.started).count()));
  w.busy = false;
  w.deadline.reset();
  w.job = JobInput{};
  return c;
}

std::vector<PoolCompletion> WorkerPool::Collect(SteadyTime now) {
  std::vector<PoolCompletion> done;
  for (auto& w : workers_) {
    if (!w.busy) continue;
    bool eof = false;
    char buf[65536];
    while (true) {
      ssize_t n = ::read(w.from_fd, buf, sizeof buf);
      if (n > 0) {
        w.inbox.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) eof = true;
      if (n < 0 && errno == EINTR) continue;
      break;
    }
    std::string body;
    auto took = TakeFrame(w.inbox, &body);
    if (took.ok() && *took) {
      auto out = DecodeWorkerResponse(body);
      if (!out.ok()) {
        JobOutput bad;
        bad.error = out.status().ToString();
        bad.retryable = true;
        done.push_back(Finish(w, std::move(bad), now));
        done.back().failure = FailureClass::kProtocol;
        Reap(w, true);
      } else {
        done.push_back(Finish(w, std::move(*out), now));
      }
      continue;
    }
    if (eof || !took.ok()) {
      // The worker died mid-job: reap it and report how.
      CloseFd(w.to_fd);
      CloseFd(w.from_fd);
      int status = 0;
      if (!took.ok()) ::kill(w.pid, SIGKILL);
      while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
      }
      w.pid = -1;
      JobOutput out;
      out.error = took.ok() ? DescribeExit(status) : took.status().ToString();
      out.retryable = true;
      done.push_back(Finish(w, std::move(out), now));
      done.back().failure = took.ok() ? FailureClass::kCrash : FailureClass::kProtocol;
      continue;
    }
    if (w.deadline && now >= *w.deadline) {
      uint64_t limit = w.timeout_ms;
      Reap(w, /*kill=*/true);
      JobOutput out;
      out.error = "timeout after " + std::to_string(limit) + " ms (killed)";
      out.retryable = true;
      done.push_back(Finish(w, std::move(out), now));
      done.back().failure = FailureClass::kTimeout;
    }
  }
  return done;
}

std::vector<PoolCompletion> WorkerPool::KillBusy(const std::string& reason) {
  std::vector<PoolCompletion> done;
  auto now = std::chrono::steady_clock::now();
  for (auto& w : workers_) {
    if (!w.busy) continue;
    Reap(w, true);
    JobOutput out;
    out.error = reason;
    out.retryable = true;
    done.push_back(Finish(w, std::move(out), now));
    done.back().failure = FailureClass::kCrash;  // killed: a hand-back at shutdown, else a crash
  }
  return done;
}

}  // namespace s1mple::runner
