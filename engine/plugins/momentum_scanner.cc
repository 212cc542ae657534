// momentum_scanner (OpportunityWorker, momentum_signal): rate of change crossing a threshold.
#include <cmath>

#include "engine/plugins/catalog.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {
namespace {

class MomentumScanner final : public OpportunityWorker {
 public:
  explicit MomentumScanner(const ParamSet& p)
      : period_(static_cast<uint32_t>(p.GetInt("roc_period"))),
        threshold_(p.GetFloat("threshold_percent")),
        rsi_period_(static_cast<int>(p.GetInt("rsi_period"))),
        rsi_confirm_(p.GetBool("rsi_confirmation")),
        longs_(p.GetString("direction") != "short_only"),
        shorts_(p.GetString("direction") != "long_only") {}

  Status OnBind(BindContext& ctx) override {
    close_ = ctx.frame.Data(kCloseColumn);
    if (rsi_confirm_) {
      auto rsi = ctx.frame.Rsi(rsi_period_);
      if (!rsi.ok()) return rsi.status();
      rsi_ = ctx.frame.Data(*rsi);
    }
    return Status::Ok();
  }

  void OnDetect(const BarContext& bar, OpportunitySink& out) override {
    const uint32_t t = bar.bar;
    if (t < period_ + 1) return;
    const double now = Roc(t), before = Roc(t - 1);
    if (longs_ && now >= threshold_ && before < threshold_ && Confirms(t, Side::kLong))
      out.Emit(Side::kLong, now, "MOMENTUM_UP", Price{close_[t]});
    else if (shorts_ && now <= -threshold_ && before > -threshold_ && Confirms(t, Side::kShort))
      out.Emit(Side::kShort, -now, "MOMENTUM_DOWN", Price{close_[t]});
  }

 private:
  double Roc(uint32_t t) const { return (close_[t] / close_[t - period_] - 1.0) * 100.0; }
  bool Confirms(uint32_t t, Side s) const {
    if (!rsi_confirm_) return true;
    return s == Side::kLong ? rsi_[t] > 50.0 : rsi_[t] < 50.0;  // NaN confirms nothing
  }

  uint32_t period_;
  double threshold_;
  int rsi_period_;
  bool rsi_confirm_;
  bool longs_, shorts_;
  const double* close_ = nullptr;
  const double* rsi_ = nullptr;
};

}  // namespace

void RegisterMomentumScanner(PluginRegistry& r) {
  PluginManifest m;
  m.name = "momentum_scanner";
  m.category = WorkerCategory::kOpportunity;
  m.subtype = "momentum_signal";
  m.description =
      "Rate of change ROC = (close[t] / close[t-roc_period] - 1) x 100 %. Long (MOMENTUM_UP) on "
      "the bar ROC rises to >= threshold_percent, short (MOMENTUM_DOWN) on the bar it falls to "
      "<= -threshold_percent; with rsi_confirmation the RSI(rsi_period) must be above 50 for "
      "longs, below 50 for shorts. Score = |ROC| in %.";
  m.params = {plugin::Int("roc_period", 10, 1, 5000, "bars in the rate of change"),
              plugin::Float("threshold_percent", 1.0, 0.001, 100.0, "ROC, in %, to cross"),
              plugin::Int("rsi_period", 14, 2, 1000, "RSI period of the confirmation"),
              plugin::Bool("rsi_confirmation", true, "require RSI on the signal's side of 50"),
              plugin::Enum("direction", "both", {"both", "long_only", "short_only"},
                           "which signals become opportunities")};
  m.default_triggers = {"on_context_ready"};
  plugin::MustRegister(r, std::move(m), plugin::Make<MomentumScanner>());
}

}  // namespace s1mple::engine
