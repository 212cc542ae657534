// kill -9 crash test: a writer child (store_crash_writer) is killed with SIGKILL at random
// points many times; after each kill the store is reopened and checked:
//  - each job in exactly one state, counters equal to a full recount, a result iff DONE
//    (Recount finds no problem);
//  - no result lost that was reported committed (the stored bytes are the reported ones);
//  - none recorded twice (no job is reported committed twice, across all lives).
// Default: ~25 kills. Built with S1MPLE_CRASH_LONG: 150 kills and a bigger sweep (label long).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <sstream>

#include "store/job_store.h"
#include "tests/store/store_test_util.h"

#ifndef STORE_CRASH_WRITER
#error "STORE_CRASH_WRITER (path of the store_crash_writer helper) must be defined"
#endif

namespace s1mple::store {
namespace {

// The two builds register under different suite names: ctest keys tests (and labels) by name.
#ifdef S1MPLE_CRASH_LONG
#define S1MPLE_CRASH_SUITE StoreCrashLong
constexpr int kKills = 150;
constexpr std::uint64_t kJobs = 400'000;
#else
#define S1MPLE_CRASH_SUITE StoreCrash
constexpr int kKills = 25;
constexpr std::uint64_t kJobs = 100'000;
#endif

struct Committed {
  std::string result;  // the bytes the writer reported durable
  int life = 0;
};

class Child {
 public:
  Child(const std::string& dir, unsigned seed) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      std::string s = std::to_string(seed), j = std::to_string(kJobs);
      ::execl(STORE_CRASH_WRITER, STORE_CRASH_WRITER, "run", dir.c_str(), s.c_str(), j.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0) Kill();
    if (fd_ >= 0) ::close(fd_);
  }
  bool started() const { return pid_ > 0 && fd_ >= 0; }

  // Reads output until `ms` passed or the child closed stdout.
  void ReadFor(int ms) {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!eof_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      end - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) return;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) > 0) ReadSome();
    }
  }
  // SIGKILL, then collect everything it managed to write.
  int Kill() {
    ::kill(pid_, SIGKILL);
    return Wait();
  }
  int Wait() {
    while (!eof_) ReadSome();
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  const std::string& out() const { return out_; }
  bool eof() const { return eof_; }

 private:
  void ReadSome() {
    char buf[65536];
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) {
      eof_ = true;
    } else {
      out_.append(buf, static_cast<std::size_t>(n));
    }
  }
  pid_t pid_ = -1;
  int fd_ = -1;
  bool eof_ = false;
  std::string out_;
};

// Parses the child's "C <index> <attempt> <runner>" lines into `committed`; fails the test on
// a job reported committed twice. Returns true when the child printed FINISHED.
bool Absorb(const std::string& out, int life, std::map<JobIndex, Committed>& committed) {
  std::istringstream in(out);
  std::string line;
  bool finished = false;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // an incomplete last line (cannot happen with atomic writes)
    if (line == "FINISHED") {
      finished = true;
      continue;
    }
    std::istringstream l(line);
    std::string tag, runner;
    JobIndex index = 0;
    Attempt attempt = 0;
    l >> tag >> index >> attempt >> runner;
    EXPECT_EQ(tag, "C") << line;
    std::string result =
        "result:" + std::to_string(index) + ":" + std::to_string(attempt) + ":" + runner;
    auto [it, fresh] = committed.emplace(index, Committed{result, life});
    EXPECT_TRUE(fresh) << "job " << index << " reported committed twice: in life "
                       << it->second.life << " (" << it->second.result << ") and life " << life
                       << " (" << result << ")";
  }
  return finished;
}

void CheckStore(const std::string& dir, const std::map<JobIndex, Committed>& committed, int life) {
  Result<std::unique_ptr<JobStore>> opened = JobStore::Open(dir);
  ASSERT_TRUE(opened.ok()) << "life " << life << ": " << opened.status().ToString();
  JobStore& store = **opened;
  std::vector<SweepInfo> sweeps = store.ListSweeps();
  if (sweeps.empty()) {
    ASSERT_TRUE(committed.empty());
    return;  // killed before the sweep was created
  }
  ASSERT_EQ(sweeps.size(), 1u);
  const SweepId sw = sweeps[0].id;
  testing::ExpectConsistent(store, sw);
  for (const auto& [index, c] : committed) {
    Result<std::string> r = store.GetResult(sw, index);
    ASSERT_TRUE(r.ok()) << "life " << life << ": committed result of job " << index
                        << " lost: " << r.status().ToString();
    EXPECT_EQ(*r, c.result) << "job " << index;
  }
}

TEST(S1MPLE_CRASH_SUITE, KillNineAtRandomPointsKeepsEveryInvariant) {
  testing::TempDir tmp;
  const std::string dir = tmp.str();
  std::mt19937 rng(20261121);
  std::map<JobIndex, Committed> committed;
  int kills = 0;
  for (int life = 0; life < kKills; ++life) {
    Child child(dir, static_cast<unsigned>(rng()));
    ASSERT_TRUE(child.started());
    // Early lives die young (during submission); later ones run longer.
    child.ReadFor(life < 5 ? 5 + static_cast<int>(rng() % 60) : 30 + static_cast<int>(rng() % 400));
    bool exited_alone = child.eof();
    int status = child.Kill();
    if (!exited_alone) {
      ++kills;
      EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << child.out();
    }
    Absorb(child.out(), life, committed);
    CheckStore(dir, committed, life);
    if (HasFatalFailure() || HasFailure()) return;
  }
  // The last life runs to the end: every job ends DONE or FAILED, nothing is lost.
  Child last(dir, 99);
  ASSERT_TRUE(last.started());
  last.ReadFor(120'000);
  ASSERT_TRUE(last.eof()) << "the writer did not finish within 120 s";
  int status = last.Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << last.out();
  EXPECT_TRUE(Absorb(last.out(), kKills, committed));
  CheckStore(dir, committed, kKills);
  Result<std::unique_ptr<JobStore>> opened = JobStore::Open(dir);
  ASSERT_TRUE(opened.ok());
  SweepInfo info = (*opened)->ListSweeps().at(0);
  EXPECT_EQ(info.state, SweepState::kDone);
  EXPECT_EQ(info.counts.done + info.counts.failed, kJobs);
  EXPECT_GE(info.counts.done, committed.size());  // killed between sync and report: not reported
  EXPECT_GE(kills, kKills / 2) << "too few lives were actually killed";
  std::cout << "kills: " << kills << ", jobs done: " << info.counts.done
            << ", failed: " << info.counts.failed << std::endl;
}

}  // namespace
}  // namespace s1mple::store
