// atr (ContextWorker): Wilder's average true range.
#include "engine/plugins/builtin.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {
namespace {

class Atr final : public ContextWorker {
 public:
  explicit Atr(const ParamSet& p) : period_(static_cast<int>(p.GetInt("period"))) {}
  Status OnCompute(ContextFrame& frame) override { return frame.Atr(period_).status(); }

 private:
  int period_;
};

}  // namespace

void RegisterAtr(PluginRegistry& r) {
  PluginManifest m;
  m.name = "atr";
  m.category = WorkerCategory::kContext;
  m.subtype = "indicator";
  m.description =
      "Wilder's average true range: the mean true range of the first `period` bars, then "
      "Wilder-smoothed. Seed and TA-Lib: bar 0's true range is its high - low (there is no "
      "previous close), so the first value is at bar period-1; TA-Lib's ATR starts its true "
      "range at bar 1 and gives its first value at bar `period`. The seed's weight decays as "
      "((period-1)/period)^t: with period 14 on daily data the two agree to < 1e-9 (relative) "
      "from about bar 225 on (tests/engine/indicators_test.cc).";
  m.params = {plugin::Int("period", 14, 1, 10000, "bars of smoothing")};
  m.produces_columns = {"atr_<period>"};
  plugin::MustRegister(r, std::move(m), plugin::Make<Atr>());
}

}  // namespace s1mple::engine
