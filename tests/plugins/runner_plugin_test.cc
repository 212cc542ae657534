// A runner's backtest job that ships plugin packages (issue 17): the pool process's executor
// writes each package from its verified artifact bytes into the plugin cache and loads it; a
// package built for another plugin ABI, SDK version or compiler fails the job, retryable (another
// runner may load it), with a reason that says which. This binary exports the engine's symbols
// as the s1mple executable does, so packages load into it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/sha256.h"
#include "runner/backtest/backtest_executor.h"

namespace s1mple::runner {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

const char* kOperation = R"(name: op
plugins: [somewhere/PKG]
strategy_links:
  - name: cross
    strategy_blueprint: ignored.yaml
    environment:
      data: {source: synthetic, seed: 7, bars: 3000, interval: 1h, start: 2020-01-01}
)";

const char* kBlueprint = R"(name: cross
opportunity_workers:
  - plugin: pkg_cross
    params: {fast_period: 10, slow_period: 40}
planning_workers:
  entry_planning:
    - plugin: market_entry_immediate
  exit_planning:
    - plugin: fixed_rr_exit
      params: {risk_reward_ratio: 2.0}
  size_planning:
    - plugin: fixed_size_sizer
)";

struct Sweep {
  std::map<std::string, std::string> blobs;  // hash -> bytes
  JobInput job;
  explicit Sweep(const std::string& pkg) {
    std::string op = kOperation;
    op.replace(op.find("PKG"), 3, "lib" + pkg + ".so");
    Add("operation", op);
    Add("blueprint", kBlueprint);
    Add("plugin:lib" + pkg + ".so", Slurp(fs::path(S1MPLE_TEST_PKGS) / ("lib" + pkg + ".so")));
    job.sweep = "sw-000000000001";
    job.kind = "backtest";
    job.overrides = "{}";
  }
  void Add(const std::string& role, const std::string& bytes) {
    const std::string hash = s1mple::Sha256Hex(bytes);
    blobs[hash] = bytes;
    job.artifacts[role] = hash;
  }
  ArtifactLookup Lookup() const {
    return [this](const std::string& h) -> const std::string* {
      auto it = blobs.find(h);
      return it == blobs.end() ? nullptr : &it->second;
    };
  }
};

class RunnerPlugins : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("s1mple-runner-plugins-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<JobExecutor> Executor() {
    BacktestExecutorOptions o;
    o.plugin_dir = dir_.string();
    return MakeBacktestExecutor(o);
  }
  fs::path dir_;
};

TEST_F(RunnerPlugins, APackageArtifactIsCachedByHashAndLoaded) {
  Sweep sweep("pkg_signals");
  auto ex = Executor();
  JobOutput out = ex->Execute(sweep.job, sweep.Lookup());
  ASSERT_TRUE(out.ok) << out.error;
  EXPECT_NE(out.result.find("\"total_trades\""), std::string::npos);
  const std::string hash = sweep.job.artifacts.at("plugin:libpkg_signals.so");
  const fs::path cached = dir_ / hash / "libpkg_signals.so";
  ASSERT_TRUE(fs::exists(cached));
  EXPECT_EQ(Slurp(cached), sweep.blobs.at(hash));
  // The same job again in the same process gives the same bytes.
  JobOutput again = ex->Execute(sweep.job, sweep.Lookup());
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(again.result, out.result);
}

TEST_F(RunnerPlugins, AStampThatDoesNotFitFailsTheJobRetryableSayingWhich) {
  struct Case {
    const char* pkg;
    const char* says;
  };
  for (const Case& c : {Case{"pkg_abi99", "built for plugin ABI 99; this s1mple has ABI 2"},
                        Case{"pkg_sdk999", "built with SDK version 9.9.9; this s1mple is 0.1.0"},
                        Case{"pkg_othercc", "built with compiler othercc-1"}}) {
    Sweep sweep(c.pkg);
    JobOutput out = Executor()->Execute(sweep.job, sweep.Lookup());
    ASSERT_FALSE(out.ok) << c.pkg;
    EXPECT_TRUE(out.retryable) << c.pkg << ": another runner may load it";
    EXPECT_NE(out.error.find("cannot load a plugin package on this machine"), std::string::npos)
        << out.error;
    EXPECT_NE(out.error.find(c.says), std::string::npos) << out.error;
    EXPECT_NE(out.error.find(std::string("lib") + c.pkg + ".so"), std::string::npos) << out.error;
  }
}

TEST_F(RunnerPlugins, ABlueprintClashIsADeterministicFailureNamingBoth) {
  Sweep sweep("pkg_clash");
  JobOutput out = Executor()->Execute(sweep.job, sweep.Lookup());
  ASSERT_FALSE(out.ok);
  EXPECT_FALSE(out.retryable) << out.error;
  EXPECT_NE(
      out.error.find("plugin 'ema' of libpkg_clash.so clashes with the built-in plugin 'ema'"),
      std::string::npos)
      << out.error;
}

}  // namespace
}  // namespace s1mple::runner
