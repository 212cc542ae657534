// rsi (ContextWorker): Wilder's relative strength index of a column (default the close).
#include "engine/plugins/builtin.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {

void RegisterRsi(PluginRegistry& r) {
  PluginManifest m;
  m.name = "rsi";
  m.category = WorkerCategory::kContext;
  m.subtype = "indicator";
  m.description =
      "Wilder's RSI (0..100): average gain and loss seeded with the simple mean of the first "
      "`period` changes, then Wilder-smoothed. A flat window (no gain and no loss) gives 50, "
      "the neutral value (TA-Lib gives 0 there); only gains give 100, only losses 0.";
  m.params = {plugin::Int("period", 14, 2, 10000, "bars of smoothing"),
              plugin::String("source", "close", "column to measure (see ema.source)")};
  m.produces_columns = {"rsi_<period>", "rsi_<period>_<source> (source not close)"};
  plugin::MustRegister(r, std::move(m),
                       plugin::Make<plugin::SourcedIndicator<&ContextFrame::Rsi>>());
}

}  // namespace s1mple::engine
