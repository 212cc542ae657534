// ema_cross_exit (ExecutionWorker, position_management): closes the position when the fast EMA
// crosses back against it: the exit that mirrors trend_follower's entry.
#include <cmath>

#include "engine/plugins/builtin.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {
namespace {

class EmaCrossExit final : public ExecutionWorker {
 public:
  explicit EmaCrossExit(const ParamSet& p)
      : spread_(static_cast<int>(p.GetInt("fast_period")),
                static_cast<int>(p.GetInt("slow_period"))) {}

  Status OnBind(BindContext& ctx) override { return spread_.Bind(ctx); }

  void OnManage(const BarContext& bar, PositionActions& actions) override {
    const PositionView& p = bar.ledger->position;
    const uint32_t t = bar.bar;
    if (!p.open || t == 0) return;
    const double now = spread_.Now(t), before = spread_.Before(t);
    const bool against =
        p.side == Side::kLong ? (before >= 0 && now < 0) : (before <= 0 && now > 0);
    if (against) actions.CloseAll("signal_exit");
  }
  // Nothing to do while flat; in a position, the next crossing against it.
  NextActiveBar OnNextActive(uint32_t from, uint32_t end, const LedgerView& ledger) override {
    const PositionView& p = ledger.position;
    if (!p.open) return end;
    const bool is_long = p.side == Side::kLong;
    return spread_.NextCross(from, end, /*up=*/!is_long, /*down=*/is_long);
  }

 private:
  plugin::EmaSpread spread_;
};

}  // namespace

void RegisterEmaCrossExit(PluginRegistry& r) {
  PluginManifest m;
  m.name = "ema_cross_exit";
  m.category = WorkerCategory::kExecution;
  m.subtype = "position_management";
  m.description =
      "Closes the whole position (market, at the next open; exit reason `signal_exit`) when the "
      "fast EMA of the close crosses against it: a long when it crosses below the slow EMA, a "
      "short when it crosses above. The mirror of trend_follower's entry, on the same shared "
      "columns ema_<fast_period> and ema_<slow_period>.";
  m.params = {plugin::Int("fast_period", 12, 1, 2000, "fast EMA period (< slow_period)"),
              plugin::Int("slow_period", 26, 2, 5000, "slow EMA period")};
  m.default_triggers = {"on_context_ready"};
  plugin::MustRegister(r, std::move(m),
                       plugin::MakeOrdered<EmaCrossExit>("fast_period", "slow_period"));
}

}  // namespace s1mple::engine
