// The catalog's registration list: one line per plugin file.
#include "engine/plugins/catalog.h"

#include "engine/plugin_registry.h"

namespace s1mple::engine {

void RegisterCatalogPlugins(PluginRegistry& r) {
  RegisterMarketStructure(r);
  RegisterVolumeAverage(r);
  RegisterRegimeClassifier(r);
  RegisterFvgPlugins(r);
  RegisterBreakoutScanner(r);
  RegisterMomentumScanner(r);
  RegisterMeanReversion(r);
  RegisterDcaOpportunityScorer(r);
  RegisterVolatilitySpikeDetector(r);
  RegisterDcaRiskAssessor(r);
  RegisterLimitEntryAtFvg(r);
  RegisterTwapEntry(r);
  RegisterLiquidityTargetExit(r);
  RegisterAdaptiveRiskSizer(r);
  RegisterDcaPlanners(r);
  RegisterPartialProfitTaker(r);
  RegisterTrailingStopManager(r);
  RegisterEmergencyExitAgent(r);
}

}  // namespace s1mple::engine
