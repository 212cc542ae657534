// docs/PLUGINS.md is generated from the manifests and must be up to date.
#include <gtest/gtest.h>

#include "engine/plugin_registry.h"
#include "tests/engine/engine_test_util.h"

namespace s1mple::engine {
namespace {

TEST(PluginsMd, CommittedFileMatchesTheManifests) {
  const std::string generated = GeneratePluginsMarkdown(DefaultRegistry());
  const std::string committed = testing::ReadText("docs/PLUGINS.md");
  EXPECT_EQ(committed, generated) << "docs/PLUGINS.md is stale: regenerate it with "
                                     "`build/cli/s1mple run --plugins-md > docs/PLUGINS.md`";
}

TEST(PluginsMd, ListsEveryPluginWithItsParams) {
  const std::string md = GeneratePluginsMarkdown(DefaultRegistry());
  for (const char* name :
       {"ema", "atr", "rsi", "trend_follower", "max_drawdown_monitor", "market_entry_immediate",
        "atr_based_stops", "fixed_rr_exit", "fixed_risk_sizer"})
    EXPECT_NE(md.find(std::string("### `") + name + "`"), std::string::npos) << name;
  EXPECT_NE(md.find("| `atr_multiplier` | float | `2` | 0.1 .. 20 |"), std::string::npos);
}

}  // namespace
}  // namespace s1mple::engine
