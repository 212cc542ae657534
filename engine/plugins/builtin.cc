// The list of built-in plugins: one line per plugin.
#include "engine/plugins/builtin.h"

#include "engine/plugin_registry.h"
#include "engine/plugins/catalog.h"  // the seeds' catalog (issue 4)

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
  RegisterFixedSizeSizer(r);
  RegisterEmaCrossExit(r);
  RegisterCatalogPlugins(r);  // engine/plugins/catalog.cc
}

}  // namespace s1mple::engine
