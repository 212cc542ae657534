// Quiet bars (engine/worker.h NextActiveBar): a run that skips the bars on which workers say
// nothing can happen gives the very bits of a run that calls every worker on every bar
// (RunOptions::quiet_bars = false), and the skipped bars are really not asked.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/operation.h"
#include "engine/plugins/plugin_util.h"
#include "engine/result.h"

namespace s1mple::engine {
namespace {

void ExpectSameBits(const BacktestResult& a, const BacktestResult& b, const std::string& what) {
  ASSERT_EQ(a.equity.size(), b.equity.size()) << what;
  EXPECT_EQ(0, std::memcmp(a.equity.data(), b.equity.data(), a.equity.size() * sizeof(EquityPoint)))
      << what << ": equity curves differ";
  ASSERT_EQ(a.daily_returns.size(), b.daily_returns.size()) << what;
  EXPECT_EQ(a.daily_returns.days, b.daily_returns.days) << what;
  EXPECT_EQ(0, std::memcmp(a.daily_returns.values.data(), b.daily_returns.values.data(),
                           a.daily_returns.size() * sizeof(double)))
      << what << ": daily returns differ";
  JsonOptions full;
  full.include_opportunities = true;
  EXPECT_EQ(ToJson(a, full).dump(), ToJson(b, full).dump()) << what;
}

struct Pair {
  BacktestResult quiet, every;
};

Pair RunBoth(const StrategyLink& link, const BarSeries& bars, const std::string& what) {
  RunOptions quiet, every;
  every.quiet_bars = false;
  auto a = RunBacktest(link, bars, quiet);
  auto b = RunBacktest(link, bars, every);
  EXPECT_TRUE(a.ok()) << what << ": " << a.status().ToString();
  EXPECT_TRUE(b.ok()) << what << ": " << b.status().ToString();
  if (!a.ok() || !b.ok()) return {};
  return {std::move(a).value(), std::move(b).value()};
}

TEST(QuietBars, EveryShippedOperationGivesTheSameBits) {
  std::vector<std::filesystem::path> files;
  for (const char* dir : {"config/operations", "bench/operations"})
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.path().extension() == ".yaml" && e.path().filename() != "ema_cross_200k.yaml")
        files.push_back(e.path());
  ASSERT_GE(files.size(), 5u);
  for (const auto& f : files) {
    auto op = LoadOperationFile(f.string());
    ASSERT_TRUE(op.ok()) << op.status().ToString();
    for (const StrategyLink& link : op->links) {
      auto bars = LoadData(link.environment.data);
      ASSERT_TRUE(bars.ok()) << bars.status().ToString();
      const std::string what = f.string() + " / " + link.name;
      Pair p = RunBoth(link, **bars, what);
      ExpectSameBits(p.quiet, p.every, what);
    }
  }
}

// The EMA crossover in the shapes that change what may be skipped: both directions or one, a
// drawdown monitor that hears every ledger update (so only flat bars of one day are quiet),
// fees and slippage, a traded period inside the data, and bar intervals from a minute (many bars
// per day) to a day (a new day on every bar).
TEST(QuietBars, TheEmaCrossoverGivesTheSameBitsInEveryShape) {
  struct Shape {
    std::string direction, threat, costs, period;
  };
  const std::string monitor =
      "threat_workers:\n"
      "  - plugin: max_drawdown_monitor\n"
      "    triggers: [on_ledger_update]\n"
      "    params: {max_drawdown_percent: 3.0}\n";
  const std::vector<Shape> shapes = {
      {"long_only", "threat_workers: []\n", "fees_bps: 0\n      slippage_bps: 0\n", ""},
      {"both", "threat_workers: []\n", "fees_bps: 0\n      slippage_bps: 0\n", ""},
      {"short_only", "threat_workers: []\n", "fees_bps: 7\n      slippage_bps: 3\n", ""},
      {"both", monitor, "fees_bps: 5\n      slippage_bps: 2\n", ""},
      {"long_only", "threat_workers: []\n", "fees_bps: 0\n      slippage_bps: 0\n",
       "      period: {start: '2020-01-05', end: '2020-03-01'}\n"},
  };
  int compared = 0;
  for (const char* interval : {"1m", "1h", "1d"}) {
    for (int seed = 1; seed <= 2; ++seed) {
      for (const Shape& s : shapes) {
        const std::string operation =
            "name: q\nstrategy_links:\n  - name: q\n    environment:\n"
            "      data: {source: synthetic, seed: " +
            std::to_string(seed) + ", bars: 20000, interval: " + interval +
            "}\n      initial_capital: 100000\n      " + s.costs + s.period;
        const std::string blueprint =
            "name: q\ncontext_workers: []\nopportunity_workers:\n"
            "  - plugin: trend_follower\n"
            "    params: {fast_period: 8, slow_period: 21, direction: " +
            s.direction + "}\n" + s.threat +
            "planning_workers:\n"
            "  entry_planning:\n    - plugin: market_entry_immediate\n"
            "  size_planning:\n    - plugin: fixed_size_sizer\n      params: {units: 3}\n"
            "execution_workers:\n"
            "  position_management:\n"
            "    - plugin: ema_cross_exit\n      params: {fast_period: 8, slow_period: 21}\n";
        auto op =
            ParseOperationTexts(operation, blueprint, "", "quiet_bars_test", DefaultRegistry());
        if (s.period.empty() || std::string(interval) != "1d") {
          ASSERT_TRUE(op.ok()) << op.status().ToString();
        } else if (!op.ok()) {
          continue;
        }
        auto bars = LoadData(op->links[0].environment.data);
        ASSERT_TRUE(bars.ok()) << bars.status().ToString();
        const std::string what = std::string(interval) + " seed " + std::to_string(seed) + " " +
                                 s.direction + (s.threat.size() > 20 ? " +monitor" : "") + " " +
                                 s.period;
        Pair p = RunBoth(op->links[0], **bars, what);
        if (std::string(interval) != "1d" || s.period.empty()) {
          EXPECT_GT(p.quiet.trades.size(), 10u) << what;
        }
        ExpectSameBits(p.quiet, p.every, what);
        ++compared;
      }
    }
  }
  EXPECT_GE(compared, 28);
}

// A signal every `every` bars that knows its next bar, and counts the bars it was asked about;
// with `knows: false` it answers "ask me on every bar".
struct Seen {
  double equity, peak, day_start, cash;
  uint32_t pending;
};
struct Calls {
  int64_t detect = 0, next_active = 0;
  std::map<uint32_t, Seen> ledger;  // what OnDetect saw of the ledger, by bar
};

class EveryNth final : public OpportunityWorker {
 public:
  EveryNth(const ParamSet& p, std::shared_ptr<Calls> calls)
      : every_(static_cast<uint32_t>(p.GetInt("every"))),
        knows_(p.GetBool("knows")),
        calls_(std::move(calls)) {}
  void OnDetect(const BarContext& bar, OpportunitySink& out) override {
    ++calls_->detect;
    const LedgerView& l = *bar.ledger;
    calls_->ledger[bar.bar] = {l.equity.v, l.peak_equity.v, l.day_start_equity.v, l.cash.v,
                               l.pending_orders};
    if (bar.bar % every_ == 0) out.Emit(Side::kLong, 1.0, "NTH", Price{bar.Close()});
  }
  NextActiveBar OnNextActive(uint32_t from, uint32_t end, const LedgerView&) override {
    ++calls_->next_active;
    if (!knows_) return std::nullopt;
    const uint32_t next = (from + every_ - 1) / every_ * every_;
    return next < end ? next : end;
  }

 private:
  uint32_t every_;
  bool knows_;
  std::shared_ptr<Calls> calls_;
};

struct Counted {
  BacktestResult result;
  Calls calls;
};

Counted RunNth(bool knows, bool quiet_bars) {
  auto calls = std::make_shared<Calls>();
  PluginRegistry registry = MakeBuiltinRegistry();
  PluginManifest m;
  m.name = "every_nth";
  m.category = WorkerCategory::kOpportunity;
  m.params = {plugin::Int("every", 50, 1, 1000000, ""), plugin::Bool("knows", true, "")};
  plugin::MustRegister(registry, m, [calls](const ParamSet& p) -> Result<std::unique_ptr<Worker>> {
    return std::unique_ptr<Worker>(std::make_unique<EveryNth>(p, calls));
  });
  const std::string operation =
      "name: n\nstrategy_links:\n  - name: n\n    environment:\n"
      "      data: {source: synthetic, seed: 3, bars: 10000, interval: 1h}\n"
      "      initial_capital: 100000\n";
  const std::string blueprint =
      "name: n\ncontext_workers: []\nopportunity_workers:\n"
      "  - plugin: every_nth\n    params: {every: 50, knows: " +
      std::string(knows ? "true" : "false") +
      "}\nthreat_workers: []\n"
      "planning_workers:\n"
      "  entry_planning:\n    - plugin: market_entry_immediate\n"
      "  size_planning:\n    - plugin: fixed_size_sizer\n      params: {units: 1}\n";
  auto op = ParseOperationTexts(operation, blueprint, "", "quiet_bars_test", registry);
  EXPECT_TRUE(op.ok()) << op.status().ToString();
  if (!op.ok()) return {};
  auto bars = LoadData(op->links[0].environment.data);
  EXPECT_TRUE(bars.ok());
  if (!bars.ok()) return {};
  RunOptions options;
  options.registry = &registry;
  options.quiet_bars = quiet_bars;
  auto r = RunBacktest(op->links[0], **bars, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  return {std::move(r).value(), *calls};
}

TEST(QuietBars, SkippedBarsAreNotAskedAndChangeNothing) {
  const Counted quiet = RunNth(true, true), every = RunNth(true, false);
  ASSERT_EQ(quiet.result.bars, 10000);
  EXPECT_EQ(every.calls.detect, 10000);   // every bar
  EXPECT_EQ(every.calls.next_active, 0);  // never asked
  // Only the signal bars and the bars an order is due on: the position has no stop or target,
  // so its bars are quiet too.
  EXPECT_LT(quiet.calls.detect, 10000 / 5);
  EXPECT_GE(quiet.calls.detect, 10000 / 50);
  EXPECT_GT(quiet.calls.next_active, 0);
  EXPECT_GT(quiet.result.trades.size(), 0u);
  ExpectSameBits(quiet.result, every.result, "every_nth");
  // After each run of quiet bars the ledger's view (equity, peak, the day's start equity) is
  // what marking every bar left.
  for (const auto& [bar, seen] : quiet.calls.ledger) {
    const Seen& want = every.calls.ledger.at(bar);
    auto bits = [](double d) {
      uint64_t u;
      std::memcpy(&u, &d, sizeof u);
      return u;
    };
    EXPECT_EQ(bits(seen.equity), bits(want.equity)) << "bar " << bar;
    EXPECT_EQ(bits(seen.peak), bits(want.peak)) << "bar " << bar;
    EXPECT_EQ(bits(seen.day_start), bits(want.day_start)) << "bar " << bar;
    EXPECT_EQ(bits(seen.cash), bits(want.cash)) << "bar " << bar;
    EXPECT_EQ(seen.pending, want.pending) << "bar " << bar;
  }
}

TEST(QuietBars, AWorkerThatDoesNotKnowIsAskedOnceAndThenCalledOnEveryBar) {
  const Counted quiet = RunNth(false, true), every = RunNth(false, false);
  EXPECT_EQ(quiet.calls.detect, 10000);
  EXPECT_EQ(quiet.calls.next_active, 1);
  ExpectSameBits(quiet.result, every.result, "every_nth, knows: false");
}

}  // namespace
}  // namespace s1mple::engine
