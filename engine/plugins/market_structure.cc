// market_structure (ContextWorker): swing highs/lows, breaks of structure, order blocks and
// liquidity levels (engine/plugins/structure.h has the definitions).
#include "engine/plugins/catalog.h"
#include "engine/plugins/plugin_util.h"
#include "engine/plugins/structure.h"

namespace s1mple::engine {
namespace {

structure::StructureOptions OptionsFrom(const ParamSet& p) {
  structure::StructureOptions o;
  o.swing_lookback = static_cast<int>(p.GetInt("swing_lookback"));
  o.liquidity_swings = static_cast<int>(p.GetInt("liquidity_swings"));
  o.liquidity_tolerance_bps = p.GetFloat("liquidity_tolerance_bps");
  o.order_block_search = static_cast<int>(p.GetInt("order_block_search"));
  return o;
}

class MarketStructure final : public ContextWorker {
 public:
  explicit MarketStructure(const ParamSet& p) : options_(OptionsFrom(p)) {}
  Status OnCompute(ContextFrame& frame) override {
    return structure::EnsureStructure(frame, options_).status();
  }

 private:
  structure::StructureOptions options_;
};

}  // namespace

void RegisterMarketStructure(PluginRegistry& r) {
  PluginManifest m;
  m.name = "market_structure";
  m.category = WorkerCategory::kContext;
  m.subtype = "structural_analysis";
  m.description =
      "Smart-money market structure. A swing high is a bar whose high is above the highs of the "
      "`swing_lookback` bars before it and not below those of the `swing_lookback` bars after it "
      "(known only `swing_lookback` bars later; swing lows mirrored). A break of structure (BOS) "
      "is a close above the last unbroken swing high (+1) or below the last unbroken swing low "
      "(-1); structure_trend holds the direction of the latest break. On a bullish break the "
      "bullish order block is the last down-close candle of the `order_block_search` bars before "
      "it (its low..high), void once a bar closes below it; bearish mirrored. Liquidity above is "
      "the nearest unswept swing high above the bar's high (of the last `liquidity_swings`), "
      "widened to the highest swing within `liquidity_tolerance_bps` of it (equal highs: one "
      "cluster); a swing is swept once a bar trades through it. Liquidity below mirrored. "
      "Columns are shared (by name) with fvg_entry_detector, liquidity_target_exit and "
      "trailing_stop_manager using the same lookback. Column key: the swing_lookback (e.g. "
      "bos_5) with the other params at their defaults, else "
      "<lookback>_<swings>_<tolerance>_<search>.";
  m.params = {plugin::Int("swing_lookback", 5, 1, 200, "bars on each side of a swing point"),
              plugin::Int("liquidity_swings", 10, 1, 50,
                          "unswept swing highs (lows) kept as liquidity candidates, newest first"),
              plugin::Float("liquidity_tolerance_bps", 5.0, 0.0, 1000.0,
                            "basis points within which swing levels form one liquidity cluster"),
              plugin::Int("order_block_search", 10, 1, 200,
                          "bars searched back from a break for the order-block candle")};
  m.produces_columns = {"swing_high_<key>",      "swing_low_<key>",    "bos_<key>",
                        "structure_trend_<key>", "ob_bull_low_<key>",  "ob_bull_high_<key>",
                        "ob_bear_low_<key>",     "ob_bear_high_<key>", "liq_above_<key>",
                        "liq_below_<key>"};
  plugin::MustRegister(r, std::move(m), plugin::Make<MarketStructure>());
}

}  // namespace s1mple::engine
