// volatility_spike_detector (ThreatWorker, market_risk): a bar's range, or the prevailing ATR,
// at an extreme percentile of its recent history.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/plugins/catalog.h"
#include "engine/plugins/plugin_util.h"
#include "engine/plugins/structure.h"

namespace s1mple::engine {
namespace {

class VolatilitySpikeDetector final : public ThreatWorker {
 public:
  explicit VolatilitySpikeDetector(const ParamSet& p)
      : threshold_(p.GetFloat("volatility_threshold_percentile")),
        lookback_(static_cast<int>(p.GetInt("lookback"))),
        atr_period_(static_cast<int>(p.GetInt("atr_period"))),
        critical_multiple_(p.GetFloat("critical_atr_multiple")),
        block_(p.GetBool("block_new_entries")),
        market_risk_(p.GetBool("raise_market_risk")) {}

  // Precomputes, for every bar, the percentile ranks of the spike measure (true range / previous
  // ATR) and of the ATR in % of the close over the last `lookback` bars.
  Status OnBind(BindContext& ctx) override {
    auto atr_id = ctx.frame.Atr(atr_period_);
    if (!atr_id.ok()) return atr_id.status();
    const auto atr = ctx.frame.Column(*atr_id);
    const auto high = ctx.frame.Column(kHighColumn);
    const auto low = ctx.frame.Column(kLowColumn);
    const auto close = ctx.frame.Column(kCloseColumn);
    const size_t n = close.size();
    multiple_.assign(n, kNaN);
    std::vector<double> atr_pct(n, kNaN);
    for (size_t t = 1; t < n; ++t) {
      const double tr = std::max(
          {high[t] - low[t], std::fabs(high[t] - close[t - 1]), std::fabs(low[t] - close[t - 1])});
      if (atr[t - 1] > 0) multiple_[t] = tr / atr[t - 1];
      if (atr[t] > 0) atr_pct[t] = atr[t] / close[t] * 100.0;
    }
    const int min_count = std::max(2, lookback_ / 2);
    spike_rank_.assign(n, kNaN);
    structure::RollingPercentRank(multiple_, lookback_, min_count, spike_rank_);
    if (market_risk_) {
      risk_rank_.assign(n, kNaN);
      structure::RollingPercentRank(atr_pct, lookback_, min_count, risk_rank_);
    }
    return Status::Ok();
  }

  void OnAssess(const BarContext& bar, ThreatSink& out) override {
    const uint32_t t = bar.bar;
    const double rank = spike_rank_[t];
    if (rank >= threshold_) {
      Severity s = Severity::kMedium;
      if (multiple_[t] >= critical_multiple_)
        s = Severity::kCritical;
      else if (rank >= (threshold_ + 100.0) / 2)
        s = Severity::kHigh;
      out.Raise("VOLATILITY_SPIKE", s, block_, rank);
    }
    if (market_risk_ && risk_rank_[t] >= threshold_)
      out.Raise("MARKET_RISK_HIGH", Severity::kMedium, false, risk_rank_[t]);
  }

 private:
  double threshold_;
  int lookback_, atr_period_;
  double critical_multiple_;
  bool block_, market_risk_;
  std::vector<double> multiple_, spike_rank_, risk_rank_;
};

}  // namespace

void RegisterVolatilitySpikeDetector(PluginRegistry& r) {
  PluginManifest m;
  m.name = "volatility_spike_detector";
  m.category = WorkerCategory::kThreat;
  m.subtype = "market_risk";
  m.description =
      "Spike measure = the bar's true range / the previous bar's ATR(atr_period). When its "
      "percentile rank among the last `lookback` bars (bar included) is at least "
      "`volatility_threshold_percentile`, raises VOLATILITY_SPIKE (value: the rank): CRITICAL when "
      "the true range is at least `critical_atr_multiple` ATRs, HIGH when the rank is in the "
      "upper half above the threshold, else MEDIUM; it blocks new entries when "
      "block_new_entries. With raise_market_risk it also raises MARKET_RISK_HIGH (MEDIUM, not "
      "blocking; for adaptive_risk_sizer) while the ATR in % of the close ranks at or above the "
      "same percentile. Ranks need lookback/2 bars of history.";
  m.params = {plugin::Float("volatility_threshold_percentile", 95.0, 1.0, 100.0,
                            "percentile rank (0..100) at or above which volatility is a threat"),
              plugin::Int("lookback", 500, 10, 100000, "bars of history the rank is taken over"),
              plugin::Int("atr_period", 14, 1, 1000, "ATR period"),
              plugin::Float("critical_atr_multiple", 4.0, 1.0, 100.0,
                            "true range, in ATRs, that makes a spike CRITICAL"),
              plugin::Bool("block_new_entries", true, "VOLATILITY_SPIKE rejects the bar's entries"),
              plugin::Bool("raise_market_risk", true,
                           "also raise MARKET_RISK_HIGH while the ATR itself is extreme")};
  m.default_triggers = {"on_context_ready"};
  plugin::MustRegister(r, std::move(m), plugin::Make<VolatilitySpikeDetector>());
}

}  // namespace s1mple::engine
