// regime_classifier (ContextWorker): labels every bar trend-up, trend-down, range or volatile from
// the slope of an EMA (measured in ATRs) and the ATR relative to its own average.
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "engine/indicators.h"
#include "engine/plugins/catalog.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {
namespace {

class RegimeClassifier final : public ContextWorker {
 public:
  explicit RegimeClassifier(const ParamSet& p)
      : ema_period_(static_cast<int>(p.GetInt("ema_period"))),
        slope_lookback_(static_cast<int>(p.GetInt("slope_lookback"))),
        atr_period_(static_cast<int>(p.GetInt("atr_period"))),
        trend_threshold_(p.GetFloat("trend_threshold")),
        volatility_lookback_(static_cast<int>(p.GetInt("volatility_lookback"))),
        volatile_ratio_(p.GetFloat("volatile_ratio")) {}

  Status OnCompute(ContextFrame& frame) override {
    auto ema = frame.Ema(ema_period_);
    if (!ema.ok()) return ema.status();
    auto atr = frame.Atr(atr_period_);
    if (!atr.ok()) return atr.status();
    const std::string name =
        "regime_" + std::to_string(ema_period_) + "_" + std::to_string(slope_lookback_);
    if (frame.Find(name)) return Status::Ok();
    auto out_id = frame.AddColumn(name);
    if (!out_id.ok()) return out_id.status();
    const auto e = frame.Column(*ema);
    const auto a = frame.Column(*atr);
    std::vector<double> atr_avg(a.size());
    ComputeSma(a, volatility_lookback_, atr_avg);
    auto out = frame.MutableColumn(*out_id);
    const size_t k = static_cast<size_t>(slope_lookback_);
    for (size_t t = 0; t < out.size(); ++t) out[t] = Classify(e, a, atr_avg, t, k);
    return Status::Ok();
  }

 private:
  // 2 volatile, 1 trend up, -1 trend down, 0 range; NaN during warm-up.
  double Classify(std::span<const double> e, std::span<const double> a,
                  const std::vector<double>& atr_avg, size_t t, size_t k) const {
    if (t < k || std::isnan(e[t]) || std::isnan(e[t - k]) || std::isnan(a[t]) || !(a[t] > 0))
      return kNaN;
    if (!std::isnan(atr_avg[t]) && atr_avg[t] > 0 && a[t] / atr_avg[t] >= volatile_ratio_) return 2;
    const double slope = (e[t] - e[t - k]) / a[t];  // EMA change over k bars, in ATRs
    if (slope >= trend_threshold_) return 1;
    if (slope <= -trend_threshold_) return -1;
    return 0;
  }

  int ema_period_, slope_lookback_, atr_period_;
  double trend_threshold_;
  int volatility_lookback_;
  double volatile_ratio_;
};

}  // namespace

void RegisterRegimeClassifier(PluginRegistry& r) {
  PluginManifest m;
  m.name = "regime_classifier";
  m.category = WorkerCategory::kContext;
  m.subtype = "regime_classification";
  m.description =
      "Market regime per bar in column regime_<ema_period>_<slope_lookback>: 2 = volatile when "
      "ATR(atr_period) / its `volatility_lookback`-bar average >= volatile_ratio; else 1 = trend "
      "up when EMA(ema_period) rose by at least `trend_threshold` ATRs over the last "
      "`slope_lookback` bars, -1 = trend down when it fell that much, 0 = range. NaN in warm-up.";
  m.params = {
      plugin::Int("ema_period", 50, 2, 5000, "bars in the EMA whose slope is measured"),
      plugin::Int("slope_lookback", 20, 1, 1000, "bars over which the slope is measured"),
      plugin::Int("atr_period", 14, 1, 1000, "ATR period (slope unit and volatility measure)"),
      plugin::Float("trend_threshold", 1.5, 0.0, 100.0,
                    "EMA change over slope_lookback bars, in ATRs, that makes a trend"),
      plugin::Int("volatility_lookback", 200, 2, 100000, "bars in the ATR's reference average"),
      plugin::Float("volatile_ratio", 1.8, 1.0, 100.0,
                    "ATR / average ATR at or above which the bar is volatile")};
  m.produces_columns = {"regime_<ema_period>_<slope_lookback>", "ema_<ema_period>",
                        "atr_<atr_period>"};
  plugin::MustRegister(r, std::move(m), plugin::Make<RegimeClassifier>());
}

}  // namespace s1mple::engine
