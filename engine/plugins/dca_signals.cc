// The smart-DCA signal workers that feed adaptive_dca_planner through custom events:
//  - dca_opportunity_scorer (OpportunityWorker): a scheduled buy, scored by how far price sits
//    below its recent high; publishes `dca_opportunity_scored` (value = the score, 0..1);
//  - dca_risk_assessor (ThreatWorker): the market's volatility risk; publishes
//    `dca_risk_assessed` (value = the risk, 0..1) and raises MARKET_RISK_HIGH when it is high.
#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/plugins/catalog.h"
#include "engine/plugins/plugin_util.h"
#include "engine/plugins/structure.h"

namespace s1mple::engine {
namespace {

class DcaOpportunityScorer final : public OpportunityWorker {
 public:
  explicit DcaOpportunityScorer(const ParamSet& p)
      : schedule_(static_cast<uint32_t>(p.GetInt("schedule_bars"))),
        lookback_(static_cast<int>(p.GetInt("high_lookback"))),
        atr_period_(static_cast<int>(p.GetInt("atr_period"))),
        full_discount_(p.GetFloat("full_discount_atr")),
        min_score_(p.GetFloat("min_score")) {}

  Status OnBind(BindContext& ctx) override {
    auto ch = structure::EnsurePriorChannel(ctx.frame, lookback_);
    if (!ch.ok()) return ch.status();
    prior_high_ = ch->upper;
    auto atr = ctx.frame.Atr(atr_period_);
    if (!atr.ok()) return atr.status();
    atr_ = ctx.frame.Data(*atr);
    high_ = ctx.frame.Data(kHighColumn);
    scored_ = ctx.events.Intern("dca_opportunity_scored");
    return Status::Ok();
  }

  void OnDetect(const BarContext& bar, OpportunitySink& out) override {
    const uint32_t t = bar.bar;
    if (t % schedule_ != 0 || std::isnan(prior_high_[t]) || !(atr_[t] > 0)) return;
    const double recent_high = std::max(prior_high_[t], high_[t]);
    const double discount_atr = (recent_high - bar.Close()) / atr_[t];
    const double score = std::clamp(discount_atr / full_discount_, 0.0, 1.0);
    if (score < min_score_) return;
    out.Emit(Side::kLong, score, "DCA_SCHEDULED", Price{bar.Close()});
    out.events().Publish(scored_, score);
  }

 private:
  uint32_t schedule_;
  int lookback_, atr_period_;
  double full_discount_, min_score_;
  const double* prior_high_ = nullptr;
  const double* atr_ = nullptr;
  const double* high_ = nullptr;
  EventId scored_ = 0;
};

class DcaRiskAssessor final : public ThreatWorker {
 public:
  explicit DcaRiskAssessor(const ParamSet& p)
      : atr_period_(static_cast<int>(p.GetInt("atr_period"))),
        lookback_(static_cast<int>(p.GetInt("lookback"))),
        high_risk_(p.GetFloat("high_risk_percentile")) {}

  // Keeps the ATR in % of the close; the rank is taken only on the bars it runs (it runs on
  // opportunities, not every bar), O(lookback) each, the same mid-rank as RollingPercentRank.
  Status OnBind(BindContext& ctx) override {
    auto atr = ctx.frame.Atr(atr_period_);
    if (!atr.ok()) return atr.status();
    const auto a = ctx.frame.Column(*atr);
    const auto c = ctx.frame.Column(kCloseColumn);
    atr_pct_.assign(c.size(), kNaN);
    for (size_t t = 0; t < c.size(); ++t)
      if (a[t] > 0) atr_pct_[t] = a[t] / c[t];
    assessed_ = ctx.events.Intern("dca_risk_assessed");
    return Status::Ok();
  }

  void OnAssess(const BarContext& bar, ThreatSink& out) override {
    const double rank = Rank(bar.bar);
    if (std::isnan(rank)) return;
    out.events().Publish(assessed_, rank / 100.0);
    if (rank >= high_risk_) out.Raise("MARKET_RISK_HIGH", Severity::kMedium, false, rank);
  }

 private:
  double Rank(uint32_t t) const {
    const double x = atr_pct_[t];
    if (std::isnan(x)) return kNaN;
    const size_t from = t + 1 >= static_cast<size_t>(lookback_) ? t + 1 - lookback_ : 0;
    int64_t below = 0, equal = 0, count = 0;
    for (size_t j = from; j <= t; ++j) {
      const double v = atr_pct_[j];
      if (std::isnan(v)) continue;
      ++count;
      below += v < x;
      equal += v == x;
    }
    if (count < std::max(2, lookback_ / 2)) return kNaN;
    return 100.0 * (static_cast<double>(below) + 0.5 * static_cast<double>(equal)) /
           static_cast<double>(count);
  }

  int atr_period_, lookback_;
  double high_risk_;
  std::vector<double> atr_pct_;
  EventId assessed_ = 0;
};

}  // namespace

void RegisterDcaOpportunityScorer(PluginRegistry& r) {
  PluginManifest m;
  m.name = "dca_opportunity_scorer";
  m.category = WorkerCategory::kOpportunity;
  m.subtype = "accumulation";
  m.description =
      "Scheduled accumulation: every `schedule_bars` bars (bar index divisible by it) a long "
      "opportunity DCA_SCHEDULED scored by the discount to the recent high, "
      "score = clamp((highest high of the last high_lookback bars - close) / ATR(atr_period) / "
      "full_discount_atr, 0, 1); skipped below min_score. Publishes dca_opportunity_scored with "
      "the score as the event value (what adaptive_dca_planner listens to).";
  m.params = {plugin::Int("schedule_bars", 24, 1, 100000, "bars between scheduled buys"),
              plugin::Int("high_lookback", 200, 2, 100000, "bars in the recent high"),
              plugin::Int("atr_period", 14, 1, 1000, "ATR period (discount unit)"),
              plugin::Float("full_discount_atr", 10.0, 0.1, 1000.0,
                            "discount, in ATRs below the recent high, that scores 1"),
              plugin::Float("min_score", 0.0, 0.0, 1.0, "scores below this are not signalled")};
  m.event_driven = true;
  m.wirings = {"on_context_ready"};
  m.default_triggers = {"on_context_ready"};
  m.publishes = {"dca_opportunity_scored"};
  plugin::MustRegister(r, std::move(m), plugin::Make<DcaOpportunityScorer>());
}

void RegisterDcaRiskAssessor(PluginRegistry& r) {
  PluginManifest m;
  m.name = "dca_risk_assessor";
  m.category = WorkerCategory::kThreat;
  m.subtype = "market_risk";
  m.description =
      "Volatility risk for accumulation: the percentile rank (0..100) of ATR(atr_period) in % of "
      "the close among the last `lookback` bars. Each time it runs (default: on "
      "on_opportunity_detected) it publishes dca_risk_assessed with risk = rank / 100, and raises "
      "MARKET_RISK_HIGH (MEDIUM, not blocking) when the rank is at least high_risk_percentile.";
  m.params = {plugin::Int("atr_period", 14, 1, 1000, "ATR period"),
              plugin::Int("lookback", 500, 10, 100000, "bars of history the rank is taken over"),
              plugin::Float("high_risk_percentile", 90.0, 0.0, 100.0,
                            "rank at or above which MARKET_RISK_HIGH is raised")};
  m.event_driven = true;
  m.wirings = {"on_opportunity_detected"};
  m.default_triggers = {"on_opportunity_detected"};
  m.publishes = {"dca_risk_assessed"};
  plugin::MustRegister(r, std::move(m), plugin::Make<DcaRiskAssessor>());
}

}  // namespace s1mple::engine
