// Helpers for engine tests: hand-made bar series and strategy links built from YAML texts.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/operation.h"

namespace s1mple::engine::testing {

struct Ohlc {
  double open, high, low, close;
};

// Bars one hour apart from 2020-01-01T00:00Z, volume 100.
inline BarSeries MakeBars(const std::vector<Ohlc>& rows, int64_t step_ms = 3'600'000) {
  BarSeries b;
  int64_t ts = 1577836800000;
  for (const auto& r : rows) {
    b.Append(ts, r.open, r.high, r.low, r.close, 100);
    ts += step_ms;
  }
  return b;
}

// Bars whose open = previous close and whose range is +-spread around open/close.
inline BarSeries BarsFromCloses(const std::vector<double>& closes, double spread = 0.1) {
  std::vector<Ohlc> rows;
  double prev = closes.front();
  for (double c : closes) {
    rows.push_back({prev, std::max(prev, c) + spread, std::min(prev, c) - spread, c});
    prev = c;
  }
  return MakeBars(rows);
}

inline std::string Environment(const std::string& extra = "") {
  return "strategy_links:\n  - name: t\n    environment:\n      data: {source: synthetic, seed: 1, "
         "bars: 100}\n      initial_capital: 10000\n" +
         extra;
}

// A strategy link from a blueprint text (and optional operators text / environment lines).
inline StrategyLink Link(const std::string& blueprint, const std::string& operators = "",
                         const std::string& env_extra = "",
                         const PluginRegistry& registry = DefaultRegistry()) {
  auto op = ParseOperationTexts(Environment(env_extra), blueprint, operators, "test", registry);
  EXPECT_TRUE(op.ok()) << op.status().ToString();
  if (!op.ok()) return StrategyLink{};
  return op->links[0];
}

inline std::string ReadText(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace s1mple::engine::testing
