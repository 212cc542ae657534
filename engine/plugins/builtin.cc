// The list of built-in plugins: one line per plugin.
#include "engine/plugins/builtin.h"

#include "engine/plugin_registry.h"

namespace s1mple::engine {

void RegisterBuiltinPlugins(PluginRegistry& r) {
  RegisterEma(r);
  RegisterAtr(r);
  RegisterRsi(r);
  RegisterTrendFollower(r);
  RegisterMaxDrawdownMonitor(r);
  RegisterMarketEntryImmediate(r);
  RegisterAtrBasedStops(r);
  RegisterFixedRrExit(r);
  RegisterFixedRiskSizer(r);
}

}  // namespace s1mple::engine
