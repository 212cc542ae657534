// fvg_entry_detector and fvg_detector (OpportunityWorkers, technical_pattern): 3-candle fair value
// gaps. A bullish gap at bar t: low[t] > high[t-2], the gap zone high[t-2] .. low[t]; a bearish
// gap: high[t] < low[t-2], zone high[t] .. low[t-2]. Gap size in basis points of the zone's lower
// edge: (zone_high - zone_low) / zone_low * 10000.
//  - fvg_entry_detector signals when the gap forms (for a limit entry back inside it), filtered by
//    a recent break of structure and displacement volume;
//  - fvg_detector signals when price first trades back into a gap that is still open (a retest).
#include <array>
#include <cmath>

#include "engine/plugins/catalog.h"
#include "engine/plugins/plugin_util.h"
#include "engine/plugins/structure.h"

namespace s1mple::engine {
namespace {

// A gap of at least min_gap_bps (with a 1e-9 bps allowance for binary rounding, so a gap of
// exactly the minimum counts).
struct Gap {
  bool found = false;
  Side side = Side::kLong;
  double zone_low = kNaN, zone_high = kNaN, size_bps = 0;
};

Gap FindGap(const double* high, const double* low, uint32_t t, double min_gap_bps, bool longs,
            bool shorts) {
  Gap g;
  if (t < 2) return g;
  if (longs && low[t] > high[t - 2]) {
    g.side = Side::kLong;
    g.zone_low = high[t - 2];
    g.zone_high = low[t];
  } else if (shorts && high[t] < low[t - 2]) {
    g.side = Side::kShort;
    g.zone_low = high[t];
    g.zone_high = low[t - 2];
  } else {
    return g;
  }
  g.size_bps = (g.zone_high - g.zone_low) / g.zone_low * 10000.0;
  g.found = g.size_bps >= min_gap_bps - 1e-9;
  return g;
}

bool Longs(const ParamSet& p) {
  return p.GetString("direction") != "short_only";
}
bool Shorts(const ParamSet& p) {
  return p.GetString("direction") != "long_only";
}

class FvgEntryDetector final : public OpportunityWorker {
 public:
  explicit FvgEntryDetector(const ParamSet& p)
      : min_gap_bps_(p.GetFloat("min_gap_size")),
        require_bos_(p.GetBool("require_structure_break")),
        structure_window_(static_cast<uint32_t>(p.GetInt("structure_window"))),
        require_volume_(p.GetBool("require_volume_confirmation")),
        volume_factor_(p.GetFloat("volume_factor")),
        longs_(Longs(p)),
        shorts_(Shorts(p)) {
    structure_.swing_lookback = static_cast<int>(p.GetInt("swing_lookback"));
    volume_period_ = static_cast<int>(p.GetInt("volume_period"));
  }

  Status OnBind(BindContext& ctx) override {
    high_ = ctx.frame.Data(kHighColumn);
    low_ = ctx.frame.Data(kLowColumn);
    volume_ = ctx.frame.Data(kVolumeColumn);
    if (require_bos_) {
      auto s = structure::EnsureStructure(ctx.frame, structure_);
      if (!s.ok()) return s.status();
      bos_ = s->bos;
    }
    if (require_volume_) {
      auto v = structure::EnsureVolumeSma(ctx.frame, volume_period_);
      if (!v.ok()) return v.status();
      volume_sma_ = ctx.frame.Data(*v);
    }
    return Status::Ok();
  }

  void OnDetect(const BarContext& bar, OpportunitySink& out) override {
    const Gap g = Signal(bar.bar);
    if (!g.found) return;
    out.Emit(g.side, g.size_bps, g.side == Side::kLong ? "FVG_BULLISH" : "FVG_BEARISH",
             Price{bar.Close()}, Price{g.zone_low}, Price{g.zone_high});
  }
  // OnDetect emits where Signal finds a gap and remembers nothing.
  NextActiveBar OnNextActive(uint32_t from, uint32_t end, const LedgerView&) override {
    for (uint32_t t = from; t < end; ++t)
      if (Signal(t).found) return t;
    return end;
  }

 private:
  // The gap formed on bar t, if it passes the filters (found is false otherwise).
  Gap Signal(uint32_t t) const {
    Gap g = FindGap(high_, low_, t, min_gap_bps_, longs_, shorts_);
    if (!g.found) return g;
    // The displacement candle (the middle one) must trade on above-average volume.
    if ((require_bos_ && !RecentBreak(t, g.side)) ||
        (require_volume_ && !(volume_[t - 1] >= volume_factor_ * volume_sma_[t - 1])))
      g.found = false;
    return g;
  }

  // A break of structure in the gap's direction on one of the last structure_window bars
  // (t included).
  bool RecentBreak(uint32_t t, Side side) const {
    const double want = Sign(side);
    const uint32_t from = t >= structure_window_ ? t - structure_window_ : 0;
    for (uint32_t j = t + 1; j-- > from;)
      if (bos_[j] == want) return true;
    return false;
  }

  double min_gap_bps_;
  bool require_bos_;
  uint32_t structure_window_;
  bool require_volume_;
  double volume_factor_;
  bool longs_, shorts_;
  int volume_period_ = 20;
  structure::StructureOptions structure_;
  const double* high_ = nullptr;
  const double* low_ = nullptr;
  const double* volume_ = nullptr;
  const double* bos_ = nullptr;
  const double* volume_sma_ = nullptr;
};

// Tracks open gaps and signals the first bar that trades back into one. It processes every bar
// since its previous call, so it stays correct when its triggers do not fire on every bar.
class FvgDetector final : public OpportunityWorker {
 public:
  explicit FvgDetector(const ParamSet& p)
      : min_gap_bps_(p.GetFloat("min_gap_size")),
        max_age_(static_cast<uint32_t>(p.GetInt("max_age_bars"))),
        longs_(Longs(p)),
        shorts_(Shorts(p)) {}

  Status OnBind(BindContext& ctx) override {
    high_ = ctx.frame.Data(kHighColumn);
    low_ = ctx.frame.Data(kLowColumn);
    close_ = ctx.frame.Data(kCloseColumn);
    return Status::Ok();
  }

  void OnDetect(const BarContext& bar, OpportunitySink& out) override {
    const uint32_t t = bar.bar;
    uint32_t j = started_ ? next_ : (t > max_age_ + 2 ? t - max_age_ - 2 : 0);
    started_ = true;
    for (; j <= t; ++j) Step(j, j == t ? &out : nullptr);
    next_ = t + 1;
  }

 private:
  struct OpenGap {
    Side side;
    double zone_low, zone_high, size_bps;
    uint32_t formed;
  };
  static constexpr size_t kCapacity = 16;

  void Step(uint32_t j, OpportunitySink* out) {
    size_t keep = 0;
    for (size_t i = 0; i < count_; ++i) {
      const OpenGap& g = gaps_[i];
      const bool is_long = g.side == Side::kLong;
      const bool expired = j - g.formed > max_age_;
      const bool filled = is_long ? close_[j] < g.zone_low : close_[j] > g.zone_high;
      const bool touched = is_long ? low_[j] <= g.zone_high : high_[j] >= g.zone_low;
      if (expired || filled) continue;
      if (touched) {
        if (out)
          out->Emit(g.side, g.size_bps, is_long ? "FVG_RETEST_BULLISH" : "FVG_RETEST_BEARISH",
                    Price{close_[j]}, Price{g.zone_low}, Price{g.zone_high});
        continue;
      }
      gaps_[keep++] = g;
    }
    count_ = keep;
    const Gap g = FindGap(high_, low_, j, min_gap_bps_, longs_, shorts_);
    if (!g.found) return;
    if (count_ == kCapacity) {  // drop the oldest
      for (size_t i = 1; i < count_; ++i) gaps_[i - 1] = gaps_[i];
      --count_;
    }
    gaps_[count_++] = OpenGap{g.side, g.zone_low, g.zone_high, g.size_bps, j};
  }

  double min_gap_bps_;
  uint32_t max_age_;
  bool longs_, shorts_;
  const double* high_ = nullptr;
  const double* low_ = nullptr;
  const double* close_ = nullptr;
  std::array<OpenGap, kCapacity> gaps_{};
  size_t count_ = 0;
  bool started_ = false;
  uint32_t next_ = 0;
};

ParamSpec MinGapSize(double def) {
  return plugin::Float("min_gap_size", def, 0.0, 10000.0,
                       "smallest gap, in basis points of the gap's lower edge (1 bp = 0.01%); a "
                       "gap of exactly this size counts");
}
ParamSpec Direction() {
  return plugin::Enum("direction", "both", {"both", "long_only", "short_only"},
                      "which gaps become opportunities (bullish: long, bearish: short)");
}

}  // namespace

void RegisterFvgPlugins(PluginRegistry& r) {
  {
    PluginManifest m;
    m.name = "fvg_entry_detector";
    m.category = WorkerCategory::kOpportunity;
    m.subtype = "technical_pattern";
    m.description =
        "ICT fair value gap at formation. Bullish at bar t when low[t] > high[t-2] (zone "
        "high[t-2]..low[t], long), bearish when high[t] < low[t-2] (zone high[t]..low[t-2], "
        "short), of at least `min_gap_size` bps of the zone's lower edge. With "
        "require_structure_break the gap counts only if a break of structure in its direction "
        "(market_structure with `swing_lookback`) happened on one of the last `structure_window` "
        "bars; with require_volume_confirmation the middle (displacement) candle's volume must "
        "be at least `volume_factor` x its `volume_period`-bar average. Signal types "
        "FVG_BULLISH / FVG_BEARISH; the opportunity carries the zone (for limit_entry_at_fvg); "
        "score = gap size in bps.";
    m.params = {MinGapSize(5.0),
                plugin::Bool("require_structure_break", true,
                             "only gaps after a break of structure in the same direction"),
                plugin::Int("structure_window", 10, 0, 1000,
                            "bars back (t included) in which the break must have happened"),
                plugin::Int("swing_lookback", 5, 1, 200, "swing lookback of the structure"),
                plugin::Bool("require_volume_confirmation", false,
                             "only gaps whose middle candle has above-average volume"),
                plugin::Int("volume_period", 20, 1, 10000, "bars in the volume average"),
                plugin::Float("volume_factor", 1.5, 0.0, 100.0,
                              "middle-candle volume / average volume needed"),
                Direction()};
    m.default_triggers = {"on_context_ready"};
    plugin::MustRegister(r, std::move(m), plugin::Make<FvgEntryDetector>());
  }
  {
    PluginManifest m;
    m.name = "fvg_detector";
    m.category = WorkerCategory::kOpportunity;
    m.subtype = "technical_pattern";
    m.description =
        "Fair value gap retest. Gaps are found as in fvg_entry_detector (at least "
        "`min_gap_size` bps) and kept open for `max_age_bars` bars; the first later bar that "
        "trades back into an open gap (low <= zone high for a bullish gap, high >= zone low for "
        "a bearish one) while closing on the gap's side of its far edge is the opportunity "
        "(FVG_RETEST_BULLISH long / FVG_RETEST_BEARISH short, reference price the close, zone "
        "attached). A close through the far edge fills the gap without a signal. At most 16 "
        "gaps are tracked (oldest dropped). Score = gap size in bps.";
    m.params = {MinGapSize(5.0),
                plugin::Int("max_age_bars", 50, 1, 100000, "bars a gap stays open for a retest"),
                Direction()};
    m.default_triggers = {"on_context_ready"};
    plugin::MustRegister(r, std::move(m), plugin::Make<FvgDetector>());
  }
}

}  // namespace s1mple::engine
