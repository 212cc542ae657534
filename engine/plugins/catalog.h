// The seeds' plugin catalog (issue 4): market structure, FVG and other opportunity scanners,
// volatility threats, ICT/TWAP/DCA planners and position managers, built on the engine's worker
// interfaces. builtin.cc calls RegisterCatalogPlugins; each plugin (or closely related family)
// lives in its own file engine/plugins/<name>.cc with the registration function declared here.
#pragma once

namespace s1mple::engine {

class PluginRegistry;

void RegisterCatalogPlugins(PluginRegistry& registry);

// context
void RegisterMarketStructure(PluginRegistry& registry);
void RegisterVolumeAverage(PluginRegistry& registry);
void RegisterRegimeClassifier(PluginRegistry& registry);
// opportunity
void RegisterFvgPlugins(PluginRegistry& registry);  // fvg_entry_detector, fvg_detector
void RegisterBreakoutScanner(PluginRegistry& registry);
void RegisterMomentumScanner(PluginRegistry& registry);
void RegisterMeanReversion(PluginRegistry& registry);  // oversold_detector, rsi_reversal
void RegisterDcaOpportunityScorer(PluginRegistry& registry);
// threat
void RegisterVolatilitySpikeDetector(PluginRegistry& registry);
void RegisterDcaRiskAssessor(PluginRegistry& registry);
// planning
void RegisterLimitEntryAtFvg(PluginRegistry& registry);
void RegisterTwapEntry(PluginRegistry& registry);
void RegisterLiquidityTargetExit(PluginRegistry& registry);
void RegisterAdaptiveRiskSizer(PluginRegistry& registry);
void RegisterDcaPlanners(PluginRegistry& registry);  // simple_dca_planner, adaptive_dca_planner
// execution
void RegisterPartialProfitTaker(PluginRegistry& registry);
void RegisterTrailingStopManager(PluginRegistry& registry);
void RegisterEmergencyExitAgent(PluginRegistry& registry);

}  // namespace s1mple::engine
