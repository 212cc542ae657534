// ema (ContextWorker): exponential moving average of a column (default the close).
#include "engine/plugins/builtin.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine {

void RegisterEma(PluginRegistry& r) {
  PluginManifest m;
  m.name = "ema";
  m.category = WorkerCategory::kContext;
  m.subtype = "indicator";
  m.description =
      "Exponential moving average, alpha = 2/(period+1), seeded with the simple average of the "
      "first `period` values.";
  m.params = {plugin::Int("period", 20, 1, 10000, "bars in the average"),
              plugin::String("source", "close",
                             "column to average: a bar column, or (under ContextOperator "
                             "SEQUENTIAL + CHAIN_THROUGH) a column of an earlier context worker")};
  m.produces_columns = {"ema_<period>", "ema_<period>_<source> (source not close)"};
  plugin::MustRegister(r, std::move(m),
                       plugin::Make<plugin::SourcedIndicator<&ContextFrame::Ema>>());
}

}  // namespace s1mple::engine
