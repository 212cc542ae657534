// trailing_stop_manager (ExecutionWorker, position_management): trails the stop behind market
// structure or an ATR chandelier, only ever in the trade's favour.
#include <algorithm>
#include <cmath>

#include "engine/plugins/catalog.h"
#include "engine/plugins/plugin_util.h"
#include "engine/plugins/structure.h"

namespace s1mple::engine {
namespace {

class TrailingStopManager final : public ExecutionWorker {
 public:
  explicit TrailingStopManager(const ParamSet& p)
      : after_first_target_(p.GetBool("trail_after_first_target")),
        by_structure_(p.GetBool("trail_by_structure")),
        first_target_r_(p.GetFloat("first_target_r")),
        atr_period_(static_cast<int>(p.GetInt("atr_period"))),
        atr_mult_(p.GetFloat("atr_multiplier")),
        buffer_(p.GetFloat("buffer_bps") / 10000.0) {
    structure_.swing_lookback = static_cast<int>(p.GetInt("swing_lookback"));
  }

  Status OnBind(BindContext& ctx) override {
    high_ = ctx.frame.Data(kHighColumn);
    low_ = ctx.frame.Data(kLowColumn);
    close_ = ctx.frame.Data(kCloseColumn);
    auto atr = ctx.frame.Atr(atr_period_);
    if (!atr.ok()) return atr.status();
    atr_ = ctx.frame.Data(*atr);
    if (by_structure_) {
      auto s = structure::EnsureStructure(ctx.frame, structure_);
      if (!s.ok()) return s.status();
      swing_high_ = s->swing_high;
      swing_low_ = s->swing_low;
    }
    return Status::Ok();
  }

  void OnManage(const BarContext& bar, PositionActions& actions) override {
    const PositionView& p = bar.ledger->position;
    const uint32_t t = bar.bar;
    if (!p.open) {
      tracked_ = OpportunityId{};
      return;
    }
    const bool is_long = p.side == Side::kLong;
    if (p.opportunity != tracked_ || p.entry_bar != tracked_bar_) {
      tracked_ = p.opportunity;
      tracked_bar_ = p.entry_bar;
      armed_ = !after_first_target_;
      risk_ = p.stop_loss ? std::fabs(p.entry_price.v - p.stop_loss->v) : kNaN;
      entry_ = p.entry_price.v;
      extreme_ = is_long ? high_[p.entry_bar] : low_[p.entry_bar];
      seen_ = p.entry_bar;
    }
    for (uint32_t j = seen_ + 1; j <= t; ++j)  // bars since the last call
      extreme_ = is_long ? std::max(extreme_, high_[j]) : std::min(extreme_, low_[j]);
    seen_ = t;
    if (!armed_) {
      const double target = entry_ + Sign(p.side) * first_target_r_ * risk_;
      if (!(risk_ > 0) || (is_long ? extreme_ < target : extreme_ > target)) return;
      armed_ = true;
    }
    const double candidate = Candidate(t, is_long);
    if (std::isnan(candidate)) return;
    // Only in the trade's favour, and never through the current close.
    const bool tighter =
        !p.stop_loss || (is_long ? candidate > p.stop_loss->v : candidate < p.stop_loss->v);
    const bool valid = is_long ? candidate < close_[t] : candidate > close_[t];
    if (tighter && valid) actions.MoveStop(Price{candidate});
  }

 private:
  double Candidate(uint32_t t, bool is_long) const {
    if (by_structure_) {
      const double swing = is_long ? swing_low_[t] : swing_high_[t];
      return is_long ? swing * (1 - buffer_) : swing * (1 + buffer_);
    }
    if (std::isnan(atr_[t])) return kNaN;
    return is_long ? extreme_ - atr_mult_ * atr_[t] : extreme_ + atr_mult_ * atr_[t];
  }

  bool after_first_target_, by_structure_;
  double first_target_r_;
  int atr_period_;
  double atr_mult_, buffer_;
  structure::StructureOptions structure_;
  const double* high_ = nullptr;
  const double* low_ = nullptr;
  const double* close_ = nullptr;
  const double* atr_ = nullptr;
  const double* swing_high_ = nullptr;
  const double* swing_low_ = nullptr;
  OpportunityId tracked_;  // the position being managed: its opportunity and entry bar
  uint32_t tracked_bar_ = 0;
  bool armed_ = false;
  double risk_ = kNaN, entry_ = kNaN, extreme_ = kNaN;
  uint32_t seen_ = 0;
};

}  // namespace

void RegisterTrailingStopManager(PluginRegistry& r) {
  PluginManifest m;
  m.name = "trailing_stop_manager";
  m.category = WorkerCategory::kExecution;
  m.subtype = "position_management";
  m.description =
      "Trails the open position's stop. With trail_by_structure the candidate stop is "
      "`buffer_bps` beyond the last confirmed swing low (longs) / swing high (shorts) of "
      "market_structure(`swing_lookback`); otherwise an ATR chandelier: the best price since "
      "entry minus (longs) / plus (shorts) atr_multiplier x ATR(atr_period). The stop moves to "
      "the candidate only when that tightens it and the candidate is on the right side of the "
      "close: it never moves against the trade. With trail_after_first_target trailing starts "
      "once price has reached first_target_r x the initial risk beyond the entry.";
  m.params = {plugin::Bool("trail_after_first_target", true,
                           "start trailing only after the first target was reached"),
              plugin::Bool("trail_by_structure", true,
                           "trail behind swing points (else an ATR chandelier)"),
              plugin::Float("first_target_r", 1.0, 0.1, 50.0,
                            "first target in multiples of the initial risk"),
              plugin::Int("swing_lookback", 5, 1, 200, "swing lookback of the structure"),
              plugin::Int("atr_period", 14, 1, 1000, "ATR period of the chandelier"),
              plugin::Float("atr_multiplier", 3.0, 0.1, 50.0, "chandelier distance in ATRs"),
              plugin::Float("buffer_bps", 5.0, 0.0, 1000.0,
                            "basis points beyond the swing for a structure stop")};
  m.default_triggers = {"on_context_ready"};
  plugin::MustRegister(r, std::move(m), plugin::Make<TrailingStopManager>());
}

}  // namespace s1mple::engine
