// trend_follower (OpportunityWorker): an EMA crossover. Long when the fast EMA crosses above the
// slow one, short when it crosses below.
#include <cmath>

#include "engine/plugins/builtin.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {
namespace {

class TrendFollower final : public OpportunityWorker {
 public:
  explicit TrendFollower(const ParamSet& p)
      : spread_(static_cast<int>(p.GetInt("fast_period")),
                static_cast<int>(p.GetInt("slow_period"))),
        longs_(p.GetString("direction") != "short_only"),
        shorts_(p.GetString("direction") != "long_only") {}

  Status OnBind(BindContext& ctx) override { return spread_.Bind(ctx); }

  void OnDetect(const BarContext& bar, OpportunitySink& out) override {
    const uint32_t t = bar.bar;
    if (t == 0) return;
    const double now = spread_.Now(t), before = spread_.Before(t);  // NaN compares false
    const bool up = longs_ && before <= 0 && now > 0;
    const bool down = shorts_ && before >= 0 && now < 0;
    if (!up && !down) return;  // most bars
    const double close = bar.Close();
    const double score = std::fabs(now) / close * 100.0;  // separation in % of price
    if (up) out.Emit(Side::kLong, score, "EMA_CROSS_UP", Price{close});
    if (down) out.Emit(Side::kShort, score, "EMA_CROSS_DOWN", Price{close});
  }
  // OnDetect emits on crossings only and remembers nothing.
  NextActiveBar OnNextActive(uint32_t from, uint32_t end, const LedgerView&) override {
    return spread_.NextCross(from, end, longs_, shorts_);
  }

 private:
  plugin::EmaSpread spread_;
  bool longs_, shorts_;
};

}  // namespace

void RegisterTrendFollower(PluginRegistry& r) {
  PluginManifest m;
  m.name = "trend_follower";
  m.category = WorkerCategory::kOpportunity;
  m.subtype = "momentum_signal";
  m.description =
      "EMA crossover: an opportunity when the fast EMA of the close crosses the slow one (long "
      "up, short down). Signal types EMA_CROSS_UP / EMA_CROSS_DOWN; score = EMA separation in % "
      "of the close. Uses the shared indicator columns ema_<fast_period>, ema_<slow_period>.";
  m.params = {plugin::Int("fast_period", 12, 1, 2000, "fast EMA period (< slow_period)"),
              plugin::Int("slow_period", 26, 2, 5000, "slow EMA period"),
              plugin::Enum("direction", "both", {"both", "long_only", "short_only"},
                           "which crossings become opportunities")};
  m.default_triggers = {"on_context_ready"};
  plugin::MustRegister(r, std::move(m),
                       plugin::MakeOrdered<TrendFollower>("fast_period", "slow_period"));
}

}  // namespace s1mple::engine
