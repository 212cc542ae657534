// Plugin packages (issue 17): loading a C++ package built with the SDK, the refusals (stamp,
// manifest, clashes), `plugins:` lists relative to the file naming them, bit-identical results
// to the same strategy as a built-in, and the SDK's harness on hand-made bars.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/operation.h"
#include "engine/plugin_package.h"
#include "engine/result.h"
#include "s1mple/harness.h"

namespace s1mple::engine {
namespace {

namespace fs = std::filesystem;

fs::path Pkg(const std::string& name) {
  return fs::path(S1MPLE_TEST_PKGS) / ("lib" + name + ".so");
}

PackageRef Ref(const fs::path& path, std::string named_by = "test.yaml: plugins[0]") {
  PackageRef r;
  r.name = path.filename().string();
  r.path = path;
  r.named_by = std::move(named_by);
  return r;
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("s1mple-plugins-test-" + std::to_string(::getpid()) + "-" + std::to_string(n_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  fs::path Write(const std::string& rel, const std::string& text) const {
    const fs::path p = path_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }

 private:
  static inline int n_ = 0;
  fs::path path_;
};

TEST(PluginPackage, LoadsAPackageBuiltWithTheSdkAndNamesItsPlugins) {
  auto reg = LoadPackage(Ref(Pkg("pkg_signals")));
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  EXPECT_EQ((*reg)->size(), 4u);
  const PluginManifest* m = (*reg)->Find("pkg_cross");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->package, "libpkg_signals.so");
  EXPECT_EQ(m->category, WorkerCategory::kOpportunity);
  ASSERT_NE(m->FindParam("slow_period"), nullptr);
  EXPECT_EQ(*m->FindParam("slow_period")->max, 5000);
  // The stamp is this s1mple's own.
  auto stamp = ReadPackageStamp(Pkg("pkg_signals"));
  ASSERT_TRUE(stamp.ok()) << stamp.status().ToString();
  EXPECT_EQ(stamp->text, HostStamp().text);
  EXPECT_TRUE(CheckPackageStamp(*stamp).ok());
}

TEST(PluginPackage, AClashWithABuiltinNamesBoth) {
  const std::vector<PackageRef> refs{Ref(Pkg("pkg_clash"))};
  auto reg = RegistryWithPackages(DefaultRegistry(), refs);
  ASSERT_FALSE(reg.ok());
  EXPECT_NE(reg.status().message().find("plugin 'ema' of libpkg_clash.so clashes with the "
                                        "built-in plugin 'ema'"),
            std::string::npos)
      << reg.status().ToString();
  EXPECT_NE(reg.status().message().find("test.yaml: plugins[0]"), std::string::npos);
}

TEST(PluginPackage, AClashBetweenTwoPackagesNamesBoth) {
  const std::vector<PackageRef> refs{Ref(Pkg("pkg_signals"), "op.yaml: plugins[0]"),
                                     Ref(Pkg("pkg_signals_copy"), "op.yaml: plugins[1]")};
  auto reg = RegistryWithPackages(DefaultRegistry(), refs);
  ASSERT_FALSE(reg.ok());
  EXPECT_NE(reg.status().message().find("of libpkg_signals_copy.so clashes with plugin"),
            std::string::npos)
      << reg.status().ToString();
  EXPECT_NE(reg.status().message().find("of libpkg_signals.so"), std::string::npos);
  EXPECT_NE(reg.status().message().find("op.yaml: plugins[1]"), std::string::npos);
}

TEST(PluginPackage, AStampThatDoesNotFitIsRefusedBeforeLoadingSayingWhich) {
  struct Case {
    const char* pkg;
    const char* says;
  };
  for (const Case& c : {Case{"pkg_abi99", "built for plugin ABI 99; this s1mple has ABI 2"},
                        Case{"pkg_sdk999", "built with SDK version 9.9.9; this s1mple is 0.1.0"},
                        Case{"pkg_othercc", "built with compiler othercc-1"}}) {
    auto reg = LoadPackage(Ref(Pkg(c.pkg)));
    ASSERT_FALSE(reg.ok()) << c.pkg;
    EXPECT_TRUE(reg.status().IsFailedPrecondition()) << reg.status().ToString();
    EXPECT_NE(reg.status().message().find(c.says), std::string::npos) << reg.status().ToString();
    EXPECT_NE(reg.status().message().find(std::string("lib") + c.pkg + ".so"), std::string::npos);
  }
}

TEST(PluginPackage, AnotherArchitectureIsRefusedSayingWhich) {
  TempDir dir;
  const fs::path copy = dir.path() / "libarm.so";
  fs::copy_file(Pkg("pkg_signals"), copy);
  {
    std::fstream f(copy, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(18);  // e_machine
    const char aarch64[2] = {static_cast<char>(183), 0};
    f.write(aarch64, 2);
  }
  auto reg = LoadPackage(Ref(copy));
  ASSERT_FALSE(reg.ok());
  EXPECT_TRUE(reg.status().IsFailedPrecondition()) << reg.status().ToString();
  EXPECT_NE(reg.status().message().find("built for aarch64; this s1mple runs on x86_64"),
            std::string::npos)
      << reg.status().ToString();
}

TEST(PluginPackage, NotAPackageAndMissingFilesAreRefusedNamingThem) {
  TempDir dir;
  const fs::path text = dir.Write("libnot.so", "hello");
  auto a = LoadPackage(Ref(text));
  ASSERT_FALSE(a.ok());
  EXPECT_TRUE(a.status().IsInvalidArgument()) << a.status().ToString();
  EXPECT_NE(a.status().message().find("not a plugin package"), std::string::npos);
  auto b = LoadPackage(Ref(dir.path() / "libnothere.so"));
  ASSERT_FALSE(b.ok());
  EXPECT_TRUE(b.status().IsNotFound()) << b.status().ToString();
  EXPECT_NE(b.status().message().find("libnothere.so"), std::string::npos);
}

TEST(PluginPackage, AManifestTheRegistryRefusesRefusesThePackage) {
  auto reg = LoadPackage(Ref(Pkg("pkg_bad_manifest")));
  ASSERT_FALSE(reg.ok());
  EXPECT_TRUE(reg.status().IsInvalidArgument()) << reg.status().ToString();
  EXPECT_NE(reg.status().message().find("param 'window': default 500 is out of its bounds"),
            std::string::npos)
      << reg.status().ToString();
  EXPECT_NE(reg.status().message().find("plugin 'pkg_cross' of libpkg_bad_manifest.so"),
            std::string::npos);
}

// An operation listing the package relative to itself, against the same operation with the
// built-in trend_follower: the same strategy gives the same bits.
const char* kBlueprint = R"(name: cross
plugins: [%PLUGINS%]
context_workers:
  - plugin: atr
    params: {period: 14}
opportunity_workers:
  - plugin: %SIGNAL%
    params: {fast_period: 10, slow_period: 40}
planning_workers:
  entry_planning:
    - plugin: market_entry_immediate
  exit_planning:
    - plugin: atr_based_stops
      params: {atr_period: 14, atr_multiplier: 2.0}
    - plugin: fixed_rr_exit
      params: {risk_reward_ratio: 2.0}
  size_planning:
    - plugin: fixed_risk_sizer
      params: {risk_per_trade_percent: 1.0}
)";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

std::string Operation(const std::string& blueprint, const std::string& plugins) {
  return "name: op\n" + plugins +
         "strategy_links:\n  - name: cross\n    strategy_blueprint: " + blueprint +
         "\n    environment:\n      data: {source: synthetic, seed: 7, bars: 5000, interval: 1h, "
         "start: 2020-01-01}\n      fees_bps: 5\n      slippage_bps: 2\n";
}

nlohmann::json RunFile(const fs::path& op) {
  auto cfg = LoadOperationFile(op);
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  if (!cfg.ok()) return {};
  auto bars = GenerateSyntheticBars(cfg->links[0].environment.data);
  EXPECT_TRUE(bars.ok());
  auto r = RunBacktest(cfg->links[0], **bars);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  nlohmann::json j = ToJson(*r);
  return {{"metrics", j["metrics"]}, {"trades", j["trades"]}, {"equity", j["equity"]}};
}

TEST(PluginPackage, AnOperationListsPackagesRelativeToItselfAndMatchesTheBuiltinBitForBit) {
  TempDir dir;
  fs::create_directories(dir.path() / "build");
  fs::copy_file(Pkg("pkg_signals"), dir.path() / "build/libpkg_signals.so");
  // In the operation (relative to the operation) ...
  dir.Write("strategies/pkg.yaml",
            Replace(Replace(kBlueprint, "%PLUGINS%", ""), "%SIGNAL%", "pkg_cross"));
  const fs::path op_pkg =
      dir.Write("ops/pkg.yaml",
                Operation("../strategies/pkg.yaml", "plugins: [../build/libpkg_signals.so]\n"));
  // ... in the blueprint (relative to the blueprint) ...
  dir.Write("strategies/bp_pkg.yaml",
            Replace(Replace(kBlueprint, "%PLUGINS%", "../build/libpkg_signals.so"), "%SIGNAL%",
                    "pkg_cross"));
  const fs::path op_bp = dir.Write("ops/bp.yaml", Operation("../strategies/bp_pkg.yaml", ""));
  // ... and the built-in.
  dir.Write("strategies/builtin.yaml",
            Replace(Replace(kBlueprint, "%PLUGINS%", ""), "%SIGNAL%", "trend_follower"));
  const fs::path op_builtin =
      dir.Write("ops/builtin.yaml", Operation("../strategies/builtin.yaml", ""));

  const nlohmann::json builtin = RunFile(op_builtin);
  ASSERT_FALSE(builtin.is_null());
  ASSERT_GT(builtin["trades"].size(), 10u);
  EXPECT_EQ(RunFile(op_pkg).dump(), builtin.dump());
  EXPECT_EQ(RunFile(op_bp).dump(), builtin.dump());
}

TEST(PluginPackage, APluginOfAnUnlistedPackageIsUnknownAndAMissingPackageIsNamed) {
  TempDir dir;
  dir.Write("bp.yaml", Replace(Replace(kBlueprint, "%PLUGINS%", ""), "%SIGNAL%", "pkg_cross"));
  auto a = LoadOperationFile(dir.Write("op.yaml", Operation("bp.yaml", "")));
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("pkg_cross"), std::string::npos) << a.status().ToString();
  auto b =
      LoadOperationFile(dir.Write("op2.yaml", Operation("bp.yaml", "plugins: [lib/libx.so]\n")));
  ASSERT_FALSE(b.ok());
  EXPECT_TRUE(b.status().IsNotFound()) << b.status().ToString();
  EXPECT_NE(b.status().message().find("op2.yaml: plugins[0]: libx.so"), std::string::npos)
      << b.status().ToString();
  EXPECT_NE(b.status().message().find((dir.path() / "lib/libx.so").string()), std::string::npos);
}

TEST(PluginPackage, TextsResolveTheirPackagesByFileNameAmongTheFilesAJobWasGiven) {
  const std::string bp = Replace(Replace(kBlueprint, "%PLUGINS%", "anywhere/libpkg_signals.so"),
                                 "%SIGNAL%", "pkg_cross");
  const std::string op = Operation("ignored.yaml", "");
  const PackageFiles files{{"libpkg_signals.so", Pkg("pkg_signals")}};
  auto ok = ParseOperationTexts(op, bp, "", "job sw/1", DefaultRegistry(), &files);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_NE(ok->links[0].registry, nullptr);
  EXPECT_NE(ok->links[0].registry->Find("pkg_cross"), nullptr);
  auto missing = ParseOperationTexts(op, bp, "", "job sw/1", DefaultRegistry(), nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("job sw/1 blueprint: plugins[0]: package "
                                            "'libpkg_signals.so' was not sent with the job"),
            std::string::npos)
      << missing.status().ToString();
}

// ---- the SDK's harness
// ---------------------------------------------------------------------------

TEST(SdkHarness, RunsAPackagesPluginsOnHandMadeBars) {
  auto h = sdk::Harness::Load(Pkg("pkg_signals"));
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_NE(h->Manifest("pkg_cross"), nullptr);
  // Falls, then rises: the 2/4 EMAs cross up once, after the turn.
  auto bars = sdk::BarsBuilder("2024-01-01")
                  .Closes({110, 108, 106, 104, 102, 100, 99, 98, 99, 101, 104, 108, 112, 116})
                  .Build();
  ASSERT_TRUE(bars.ok()) << bars.status().ToString();
  auto opps = h->Opportunities("pkg_cross",
                               "{fast_period: 2, slow_period: 4, direction: long_only}", **bars);
  ASSERT_TRUE(opps.ok()) << opps.status().ToString();
  ASSERT_EQ(opps->size(), 1u);
  EXPECT_EQ((*opps)[0].side, Side::kLong);
  EXPECT_GE((*opps)[0].bar, 8u);
  auto cols = h->Columns("pkg_close_gap", "", **bars);
  ASSERT_TRUE(cols.ok()) << cols.status().ToString();
  ASSERT_EQ(cols->count("close_gap"), 1u);
  EXPECT_DOUBLE_EQ(cols->at("close_gap")[1], -2.0);
  // A bad param gets the error a user would.
  auto bad = h->Opportunities("pkg_cross", "{fast_period: 0}", **bars);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("fast_period"), std::string::npos);
  // Invalid bars name the bar at fault.
  auto broken = sdk::BarsBuilder().Bar(10, 9, 8, 9.5).Build();
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("bar 0"), std::string::npos);
}

}  // namespace
}  // namespace s1mple::engine
