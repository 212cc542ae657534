// breakout_scanner (OpportunityWorker, technical_pattern): a close beyond the prior N-bar channel.
#include <cmath>

#include "engine/plugins/catalog.h"
#include "engine/plugins/plugin_util.h"
#include "engine/plugins/structure.h"

namespace s1mple::engine {
namespace {

class BreakoutScanner final : public OpportunityWorker {
 public:
  explicit BreakoutScanner(const ParamSet& p)
      : lookback_(static_cast<int>(p.GetInt("lookback"))),
        buffer_(p.GetFloat("buffer_bps") / 10000.0),
        require_volume_(p.GetBool("require_volume_confirmation")),
        volume_period_(static_cast<int>(p.GetInt("volume_period"))),
        volume_factor_(p.GetFloat("volume_factor")),
        longs_(p.GetString("direction") != "short_only"),
        shorts_(p.GetString("direction") != "long_only") {}

  Status OnBind(BindContext& ctx) override {
    auto ch = structure::EnsurePriorChannel(ctx.frame, lookback_);
    if (!ch.ok()) return ch.status();
    channel_ = *ch;
    close_ = ctx.frame.Data(kCloseColumn);
    volume_ = ctx.frame.Data(kVolumeColumn);
    if (require_volume_) {
      auto v = structure::EnsureVolumeSma(ctx.frame, volume_period_);
      if (!v.ok()) return v.status();
      volume_sma_ = ctx.frame.Data(*v);
    }
    return Status::Ok();
  }

  void OnDetect(const BarContext& bar, OpportunitySink& out) override {
    const uint32_t t = bar.bar;
    if (t == 0 || std::isnan(channel_.upper[t - 1])) return;
    if (require_volume_ && !(volume_[t] >= volume_factor_ * volume_sma_[t])) return;
    const double c = close_[t];
    if (longs_ && Above(t) && !Above(t - 1)) {
      const double up = channel_.upper[t] * (1 + buffer_);
      out.Emit(Side::kLong, (c - up) / up * 10000.0, "BREAKOUT_UP", Price{c});
    } else if (shorts_ && Below(t) && !Below(t - 1)) {
      const double lo = channel_.lower[t] * (1 - buffer_);
      out.Emit(Side::kShort, (lo - c) / lo * 10000.0, "BREAKOUT_DOWN", Price{c});
    }
  }

 private:
  bool Above(uint32_t t) const { return close_[t] > channel_.upper[t] * (1 + buffer_); }
  bool Below(uint32_t t) const { return close_[t] < channel_.lower[t] * (1 - buffer_); }

  int lookback_;
  double buffer_;
  bool require_volume_;
  int volume_period_;
  double volume_factor_;
  bool longs_, shorts_;
  structure::Channel channel_;
  const double* close_ = nullptr;
  const double* volume_ = nullptr;
  const double* volume_sma_ = nullptr;
};

}  // namespace

void RegisterBreakoutScanner(PluginRegistry& r) {
  PluginManifest m;
  m.name = "breakout_scanner";
  m.category = WorkerCategory::kOpportunity;
  m.subtype = "technical_pattern";
  m.description =
      "Channel breakout: long (BREAKOUT_UP) on the first close above the highest high of the "
      "previous `lookback` bars plus `buffer_bps`, short (BREAKOUT_DOWN) on the first close below "
      "the lowest low minus the buffer; the previous bar must not already have been beyond its "
      "channel. Optional volume confirmation: the breakout bar's volume >= `volume_factor` x its "
      "`volume_period`-bar average. Score = distance beyond the channel in bps.";
  m.params = {
      plugin::Int("lookback", 20, 2, 5000, "bars in the prior channel"),
      plugin::Float("buffer_bps", 0.0, 0.0, 1000.0,
                    "basis points beyond the channel a close must reach"),
      plugin::Bool("require_volume_confirmation", false, "only breakouts on above-average volume"),
      plugin::Int("volume_period", 20, 1, 10000, "bars in the volume average"),
      plugin::Float("volume_factor", 1.5, 0.0, 100.0, "bar volume / average volume needed"),
      plugin::Enum("direction", "both", {"both", "long_only", "short_only"},
                   "which breakouts become opportunities")};
  m.produces_columns = {"channel_hh_<lookback>", "channel_ll_<lookback>"};
  m.default_triggers = {"on_context_ready"};
  plugin::MustRegister(r, std::move(m), plugin::Make<BreakoutScanner>());
}

}  // namespace s1mple::engine
