// partial_profit_taker (ExecutionWorker, position_management): at the first target (a multiple of
// the initial risk) take half off and move the stop to breakeven.
#include <cmath>

#include "engine/plugins/catalog.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {
namespace {

class PartialProfitTaker final : public ExecutionWorker {
 public:
  explicit PartialProfitTaker(const ParamSet& p)
      : take_half_(p.GetBool("take_50_percent_at_first_target")),
        breakeven_(p.GetBool("move_stop_to_breakeven")),
        first_target_r_(p.GetFloat("first_target_r")),
        buffer_(p.GetFloat("breakeven_buffer_bps") / 10000.0) {}

  Status OnBind(BindContext& ctx) override {
    high_ = ctx.frame.Data(kHighColumn);
    low_ = ctx.frame.Data(kLowColumn);
    return Status::Ok();
  }

  void OnManage(const BarContext& bar, PositionActions& actions) override {
    const PositionView& p = bar.ledger->position;
    if (!p.open) {
      tracked_ = OpportunityId{};
      return;
    }
    // A new position (another opportunity, or the same one re-entered): its initial risk.
    if (p.opportunity != tracked_ || p.entry_bar != tracked_bar_) {
      tracked_ = p.opportunity;
      tracked_bar_ = p.entry_bar;
      done_ = false;
      entry_ = p.entry_price.v;
      risk_ = p.stop_loss ? std::fabs(p.entry_price.v - p.stop_loss->v) : kNaN;  // NaN: never
    }
    if (done_ || !(risk_ > 0)) return;
    const bool is_long = p.side == Side::kLong;
    const double target = entry_ + Sign(p.side) * first_target_r_ * risk_;
    const bool reached = is_long ? high_[bar.bar] >= target : low_[bar.bar] <= target;
    if (!reached) return;
    done_ = true;
    if (take_half_) actions.ClosePartial(0.5, "first_target");
    if (breakeven_) {
      const double be = entry_ * (1 + Sign(p.side) * buffer_);
      const bool improves = !p.stop_loss || (is_long ? be > p.stop_loss->v : be < p.stop_loss->v);
      if (improves) actions.MoveStop(Price{be});
    }
  }

 private:
  bool take_half_, breakeven_;
  double first_target_r_, buffer_;
  const double* high_ = nullptr;
  const double* low_ = nullptr;
  OpportunityId tracked_;  // the position being managed: its opportunity and entry bar
  uint32_t tracked_bar_ = 0;
  bool done_ = false;
  double entry_ = kNaN, risk_ = kNaN;
};

}  // namespace

void RegisterPartialProfitTaker(PluginRegistry& r) {
  PluginManifest m;
  m.name = "partial_profit_taker";
  m.category = WorkerCategory::kExecution;
  m.subtype = "position_management";
  m.description =
      "The first target is first_target_r x the initial risk (|entry - stop| when the position "
      "is first seen) beyond the entry. On the first bar whose high (longs) / low (shorts) "
      "reaches it: with take_50_percent_at_first_target, half the position is closed at the "
      "next bar's open; with move_stop_to_breakeven the stop moves to the entry price "
      "(`breakeven_buffer_bps` into profit) if that tightens it. Once per position; positions "
      "without a stop are left alone.";
  m.params = {plugin::Bool("take_50_percent_at_first_target", true,
                           "close half the position at the first target"),
              plugin::Bool("move_stop_to_breakeven", true,
                           "move the stop to the entry at the first target"),
              plugin::Float("first_target_r", 1.0, 0.1, 50.0,
                            "first target distance in multiples of the initial risk"),
              plugin::Float("breakeven_buffer_bps", 0.0, 0.0, 1000.0,
                            "basis points beyond the entry for the breakeven stop")};
  m.default_triggers = {"on_context_ready"};
  plugin::MustRegister(r, std::move(m), plugin::Make<PartialProfitTaker>());
}

}  // namespace s1mple::engine
