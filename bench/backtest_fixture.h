// The data of the engine benchmarks: the first strategy link of an operation.yaml and its data
// spec's bars with the bar count set to n, loaded once per (operation, n) outside the timed loop.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "engine/operation.h"

namespace s1mple::bench {

struct BacktestFixture {
  engine::StrategyLink link;
  std::shared_ptr<const engine::BarSeries> bars;
};

// Exits with code 2 and a message naming `program` when the operation or its data does not load
// (the programs run from the project root: the paths are relative to it).
inline const BacktestFixture& LoadBacktestFixture(const std::string& operation, int64_t n,
                                                  const char* program) {
  static std::map<std::pair<std::string, int64_t>, BacktestFixture> cache;
  const auto key = std::pair{operation, n};
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  auto op = engine::LoadOperationFile(operation);
  if (!op.ok()) {
    std::fprintf(stderr, "%s: %s (run from the project root)\n", program,
                 op.status().ToString().c_str());
    std::exit(2);
  }
  BacktestFixture f;
  f.link = op->links[0];
  engine::DataSpec spec = f.link.environment.data;
  spec.bars = n;
  auto bars = engine::LoadData(spec);
  if (!bars.ok()) {
    std::fprintf(stderr, "%s: %s: %s\n", program, operation.c_str(),
                 bars.status().ToString().c_str());
    std::exit(2);
  }
  f.bars = *bars;
  return cache.emplace(key, std::move(f)).first->second;
}

}  // namespace s1mple::bench
