// simple_dca_planner and adaptive_dca_planner (PlanningWorkers, entry_planning): a buy split into
// tranches over time. The simple one is a StandardWorker with fixed tranches; the adaptive one is
// an EventDrivenWorker wired to dca_opportunity_scored and dca_risk_assessed (published by
// dca_opportunity_scorer and dca_risk_assessor) and adapts the tranches to them.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "engine/plugins/catalog.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {
namespace {

class SimpleDcaPlanner final : public PlanningWorker {
 public:
  explicit SimpleDcaPlanner(const ParamSet& p)
      : tranches_(static_cast<int32_t>(p.GetInt("tranches"))),
        interval_(static_cast<int32_t>(p.GetInt("tranche_interval_bars"))) {}

  void OnPlan(const PlanningInput& in, TradePlan& plan) override {
    plan.entry_type = OrderType::kMarket;
    plan.entry_price.reset();
    plan.reference_price = Price{in.bar->Close()};
    plan.slices = tranches_;
    plan.slice_interval_bars = interval_;
  }

 private:
  int32_t tranches_, interval_;
};

class AdaptiveDcaPlanner final : public PlanningWorker {
 public:
  explicit AdaptiveDcaPlanner(const ParamSet& p)
      : base_tranches_(static_cast<double>(p.GetInt("base_tranches"))),
        max_tranches_(static_cast<int32_t>(p.GetInt("max_tranches"))),
        base_interval_(static_cast<double>(p.GetInt("tranche_interval_bars"))),
        max_risk_(p.GetFloat("max_risk")) {}

  Status OnBind(BindContext& ctx) override {
    scored_ = ctx.events.Intern("dca_opportunity_scored");
    assessed_ = ctx.events.Intern("dca_risk_assessed");
    return Status::Ok();
  }

  // The wired events: remember what they carried and on which bar.
  void OnEvent(const BarContext& bar, const Event& event) override {
    if (event.id == scored_) score_ = event.value, score_bar_ = bar.bar;
    if (event.id == assessed_) risk_ = event.value, risk_bar_ = bar.bar;
  }

  void OnPlan(const PlanningInput& in, TradePlan& plan) override {
    const uint32_t t = in.bar->bar;
    // This bar's events; without them, the opportunity's own score and no risk adjustment.
    const double score = std::clamp(score_bar_ == t ? score_ : in.opportunity->score, 0.0, 1.0);
    const double risk = std::clamp(risk_bar_ == t ? risk_ : 0.0, 0.0, 1.0);
    if (risk >= max_risk_) {
      plan.Reject("DCA_RISK_TOO_HIGH");
      return;
    }
    // Deep discount: fewer, faster tranches; high risk: more tranches, further apart.
    const double tranches = std::round(base_tranches_ * (1.0 + risk - score));
    plan.entry_type = OrderType::kMarket;
    plan.entry_price.reset();
    plan.reference_price = Price{in.bar->Close()};
    plan.slices = std::clamp(static_cast<int32_t>(tranches), 1, max_tranches_);
    plan.slice_interval_bars =
        std::max(1, static_cast<int32_t>(std::round(base_interval_ * (1.0 + risk))));
  }

 private:
  double base_tranches_;
  int32_t max_tranches_;
  double base_interval_;
  double max_risk_;
  EventId scored_ = 0, assessed_ = 0;
  double score_ = 0, risk_ = 0;
  uint32_t score_bar_ = UINT32_MAX, risk_bar_ = UINT32_MAX;
};

}  // namespace

void RegisterDcaPlanners(PluginRegistry& r) {
  {
    PluginManifest m;
    m.name = "simple_dca_planner";
    m.category = WorkerCategory::kPlanning;
    m.subtype = "entry_planning";
    m.description =
        "StandardWorker (implicit pipeline, no events): the entry as `tranches` equal market "
        "orders `tranche_interval_bars` bars apart, the first at the next bar's open.";
    m.phases = {PlanningPhase::kEntry};
    m.params = {plugin::Int("tranches", 4, 1, 100, "equal orders the buy is split into"),
                plugin::Int("tranche_interval_bars", 12, 1, 100000, "bars between tranches")};
    plugin::MustRegister(r, std::move(m), plugin::Make<SimpleDcaPlanner>());
  }
  {
    PluginManifest m;
    m.name = "adaptive_dca_planner";
    m.category = WorkerCategory::kPlanning;
    m.subtype = "entry_planning";
    m.description =
        "EventDrivenWorker: listens to dca_opportunity_scored (value: discount score s, 0..1) "
        "and dca_risk_assessed (value: risk r, 0..1). The entry becomes "
        "clamp(round(base_tranches x (1 + r - s)), 1, max_tranches) market orders, "
        "round(tranche_interval_bars x (1 + r)) bars apart: a deep discount buys faster, high "
        "risk spreads the buying out; r >= max_risk rejects with DCA_RISK_TOO_HIGH. Values from "
        "events of the signal bar are used; when an event did not arrive that bar, s is the "
        "opportunity's score and r is 0.";
    m.phases = {PlanningPhase::kEntry};
    m.params = {
        plugin::Int("base_tranches", 4, 1, 100, "tranches at s = r"),
        plugin::Int("max_tranches", 8, 1, 100, "most tranches"),
        plugin::Int("tranche_interval_bars", 12, 1, 100000, "bars between tranches at r = 0"),
        plugin::Float("max_risk", 0.95, 0.0, 1.0, "risk at or above which it does not buy")};
    m.event_driven = true;
    m.wirings = {"dca_opportunity_scored", "dca_risk_assessed"};
    plugin::MustRegister(r, std::move(m), [](const ParamSet& p) -> Result<std::unique_ptr<Worker>> {
      if (p.GetInt("base_tranches") > p.GetInt("max_tranches"))
        return Status::InvalidArgument(
            "base_tranches (" + std::to_string(p.GetInt("base_tranches")) +
            ") must not exceed max_tranches (" + std::to_string(p.GetInt("max_tranches")) + ")");
      return std::unique_ptr<Worker>(std::make_unique<AdaptiveDcaPlanner>(p));
    });
  }
}

}  // namespace s1mple::engine
