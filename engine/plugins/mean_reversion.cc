// oversold_detector and rsi_reversal (OpportunityWorkers, mean_reversion).
#include <cmath>
#include <string>
#include <vector>

#include "engine/plugins/catalog.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {
namespace {

// z-score of the close against its `period`-bar mean and sample standard deviation.
void ComputeZScore(std::span<const double> close, size_t period, std::span<double> out) {
  for (size_t t = 0; t < close.size(); ++t) {
    if (t + 1 < period || period < 2) {
      out[t] = kNaN;
      continue;
    }
    double sum = 0;
    for (size_t j = t + 1 - period; j <= t; ++j) sum += close[j];
    const double mean = sum / static_cast<double>(period);
    double ss = 0;
    for (size_t j = t + 1 - period; j <= t; ++j) ss += (close[j] - mean) * (close[j] - mean);
    const double sd = std::sqrt(ss / static_cast<double>(period - 1));
    out[t] = sd > 0 ? (close[t] - mean) / sd : 0.0;
  }
}

class OversoldDetector final : public OpportunityWorker {
 public:
  explicit OversoldDetector(const ParamSet& p)
      : period_(static_cast<int>(p.GetInt("period"))),
        z_(p.GetFloat("z_threshold")),
        rsi_period_(static_cast<int>(p.GetInt("rsi_period"))),
        oversold_(p.GetFloat("rsi_oversold")),
        overbought_(p.GetFloat("rsi_overbought")),
        longs_(p.GetString("direction") != "short_only"),
        shorts_(p.GetString("direction") != "long_only") {}

  Status OnBind(BindContext& ctx) override {
    auto rsi = ctx.frame.Rsi(rsi_period_);
    if (!rsi.ok()) return rsi.status();
    rsi_ = ctx.frame.Data(*rsi);
    const std::string name = "zscore_" + std::to_string(period_);
    auto id = ctx.frame.Find(name);
    if (!id) {
      auto added = ctx.frame.AddColumn(name);
      if (!added.ok()) return added.status();
      id = *added;
      ComputeZScore(ctx.frame.Column(kCloseColumn), static_cast<size_t>(period_),
                    ctx.frame.MutableColumn(*id));
    }
    zscore_ = ctx.frame.Data(*id);
    close_ = ctx.frame.Data(kCloseColumn);
    return Status::Ok();
  }

  void OnDetect(const BarContext& bar, OpportunitySink& out) override {
    const uint32_t t = bar.bar;
    if (t == 0) return;
    if (longs_ && Oversold(t) && !Oversold(t - 1))
      out.Emit(Side::kLong, -zscore_[t], "OVERSOLD", Price{close_[t]});
    else if (shorts_ && Overbought(t) && !Overbought(t - 1))
      out.Emit(Side::kShort, zscore_[t], "OVERBOUGHT", Price{close_[t]});
  }

 private:
  bool Oversold(uint32_t t) const { return zscore_[t] <= -z_ && rsi_[t] <= oversold_; }
  bool Overbought(uint32_t t) const { return zscore_[t] >= z_ && rsi_[t] >= overbought_; }

  int period_;
  double z_;
  int rsi_period_;
  double oversold_, overbought_;
  bool longs_, shorts_;
  const double* rsi_ = nullptr;
  const double* zscore_ = nullptr;
  const double* close_ = nullptr;
};

class RsiReversal final : public OpportunityWorker {
 public:
  explicit RsiReversal(const ParamSet& p)
      : rsi_period_(static_cast<int>(p.GetInt("rsi_period"))),
        oversold_(p.GetFloat("oversold")),
        overbought_(p.GetFloat("overbought")),
        longs_(p.GetString("direction") != "short_only"),
        shorts_(p.GetString("direction") != "long_only") {}

  Status OnBind(BindContext& ctx) override {
    auto rsi = ctx.frame.Rsi(rsi_period_);
    if (!rsi.ok()) return rsi.status();
    rsi_ = ctx.frame.Data(*rsi);
    return Status::Ok();
  }

  void OnDetect(const BarContext& bar, OpportunitySink& out) override {
    const uint32_t t = bar.bar;
    if (t == 0) return;
    const double now = rsi_[t], before = rsi_[t - 1];
    if (longs_ && before < oversold_ && now >= oversold_)
      out.Emit(Side::kLong, now - before, "RSI_REVERSAL_UP", Price{bar.Close()});
    else if (shorts_ && before > overbought_ && now <= overbought_)
      out.Emit(Side::kShort, before - now, "RSI_REVERSAL_DOWN", Price{bar.Close()});
  }

 private:
  int rsi_period_;
  double oversold_, overbought_;
  bool longs_, shorts_;
  const double* rsi_ = nullptr;
};

WorkerFactory CheckedLevels(const char* low, const char* high, WorkerFactory make) {
  return [low, high, make](const ParamSet& p) -> Result<std::unique_ptr<Worker>> {
    if (p.GetFloat(low) >= p.GetFloat(high))
      return Status::InvalidArgument(std::string(low) + " must be below " + high);
    return make(p);
  };
}

}  // namespace

void RegisterMeanReversion(PluginRegistry& r) {
  {
    PluginManifest m;
    m.name = "oversold_detector";
    m.category = WorkerCategory::kOpportunity;
    m.subtype = "mean_reversion";
    m.description =
        "Statistical extreme: long (OVERSOLD) on the first bar whose close is at least "
        "`z_threshold` sample standard deviations below its `period`-bar mean AND whose "
        "RSI(rsi_period) is at or below rsi_oversold; short (OVERBOUGHT) mirrored with "
        "rsi_overbought. Score = |z|. Column zscore_<period>.";
    m.params = {plugin::Int("period", 20, 2, 5000, "bars in the mean and standard deviation"),
                plugin::Float("z_threshold", 2.0, 0.1, 20.0, "distance from the mean in std devs"),
                plugin::Int("rsi_period", 14, 2, 1000, "RSI period"),
                plugin::Float("rsi_oversold", 30.0, 0.0, 100.0, "RSI at or below: oversold"),
                plugin::Float("rsi_overbought", 70.0, 0.0, 100.0, "RSI at or above: overbought"),
                plugin::Enum("direction", "both", {"both", "long_only", "short_only"},
                             "which extremes become opportunities")};
    m.produces_columns = {"zscore_<period>", "rsi_<rsi_period>"};
    m.default_triggers = {"on_context_ready"};
    plugin::MustRegister(
        r, std::move(m),
        CheckedLevels("rsi_oversold", "rsi_overbought", plugin::Make<OversoldDetector>()));
  }
  {
    PluginManifest m;
    m.name = "rsi_reversal";
    m.category = WorkerCategory::kOpportunity;
    m.subtype = "mean_reversion";
    m.description =
        "RSI turning back from an extreme: long (RSI_REVERSAL_UP) on the bar the RSI(rsi_period) "
        "rises from below `oversold` to at or above it, short (RSI_REVERSAL_DOWN) on the bar it "
        "falls from above `overbought` to at or below it. Score = the RSI change in points.";
    m.params = {plugin::Int("rsi_period", 14, 2, 1000, "RSI period"),
                plugin::Float("oversold", 30.0, 0.0, 100.0, "RSI level crossed upwards: long"),
                plugin::Float("overbought", 70.0, 0.0, 100.0, "RSI level crossed down: short"),
                plugin::Enum("direction", "both", {"both", "long_only", "short_only"},
                             "which reversals become opportunities")};
    m.default_triggers = {"on_context_ready"};
    plugin::MustRegister(r, std::move(m),
                         CheckedLevels("oversold", "overbought", plugin::Make<RsiReversal>()));
  }
}

}  // namespace s1mple::engine
