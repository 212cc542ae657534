// The built-in plugins. Each lives in its own file engine/plugins/<name>.cc and exports one
// registration function; builtin.cc lists them. Adding a plugin: write the file, declare its
// Register function here, add one line to RegisterBuiltinPlugins.
#pragma once

namespace s1mple::engine {

class PluginRegistry;

void RegisterBuiltinPlugins(PluginRegistry& registry);

// context
void RegisterEma(PluginRegistry& registry);
void RegisterAtr(PluginRegistry& registry);
void RegisterRsi(PluginRegistry& registry);
// opportunity
void RegisterTrendFollower(PluginRegistry& registry);
// threat
void RegisterMaxDrawdownMonitor(PluginRegistry& registry);
// planning
void RegisterMarketEntryImmediate(PluginRegistry& registry);
void RegisterAtrBasedStops(PluginRegistry& registry);
void RegisterFixedRrExit(PluginRegistry& registry);
void RegisterFixedRiskSizer(PluginRegistry& registry);
void RegisterFixedSizeSizer(PluginRegistry& registry);
// execution
void RegisterEmaCrossExit(PluginRegistry& registry);

}  // namespace s1mple::engine
