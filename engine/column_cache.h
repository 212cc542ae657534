// The columns a sweep's configurations share, computed once per runner process (DESIGN decision
// 13). Jobs of one sweep mostly run on the same data with the same context workers: a grid over
// exit parameters recomputes the same market structure, ATR and volume averages in every job, a
// grid over EMA periods the same twenty EMAs in a hundred jobs. A JobRunner (one per pool
// process or producer loop, engine/job.h) keeps a ColumnCache and hands it to each backtest
// (RunOptions::column_cache), which looks up, by key:
//
//   <data key>|<packages>|ind|<name>    a shared indicator of a bar column (ContextFrame::Ema,
//                                       EmaPair, Rsi, Atr: e.g. "ema_12", "atr_14")
//   <data key>|<packages>|ctx|<workers> every column the context phase adds: the context workers
//                                       in order, each plugin with its package and every
//                                       parameter, and the ContextOperator's aggregation
//
// The data key names the bytes of the bar series (the artifact hash of its CSV, or
// DataSpec::CacheKey(), and how many of its first bars the job has: a period override ends it
// early), the packages part every plugin package file of the job (by file name and its verified
// copy's path, which holds its hash). A cached column holds exactly the values the computation
// writes (indicators and context workers are deterministic functions of the bars and their
// parameters: docs/PLUGINS.md), so a run that finds its columns gives a result bit-identical to one
// that computes them, whatever ran before it on the process (tests/engine/column_cache_test.cc).
//
// Bounded: at most max_bytes of column values; the least recently used entries go first, and
// an entry larger than the bound is not kept. Results are still recorded one configuration at a
// time: the cache only changes how fast a job runs, never what it records, so exactly-once and
// resume are untouched and runners that join mid-sweep just start with an empty cache.
//
// Not thread-safe: one per JobRunner, used by its thread only (no mutex, so no thread-safety
// annotations).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace s1mple::engine {

class ColumnCache {
 public:
  using Column = std::shared_ptr<const std::vector<double>>;
  struct Entry {
    std::vector<std::string> names;  // the frame's column names, in the order they were added
    std::vector<Column> columns;     // their values, each as long as the bar series
  };
  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t evictions = 0;
    size_t bytes = 0;  // column values held now (a column two entries share counts in both)
    size_t entries = 0;
  };

  explicit ColumnCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  size_t max_bytes() const { return max_bytes_; }
  // The entry under `key`, now the most recently used; nullptr (a miss) when absent.
  const Entry* Find(std::string_view key);
  // Whether `key` is held; counts nothing and changes no order.
  bool Contains(std::string_view key) const { return index_.count(key) > 0; }
  // Keeps `entry` under `key` (replacing one there), evicting the least recently used entries
  // until it fits; an entry larger than max_bytes is not kept.
  void Insert(std::string key, Entry entry);
  const Stats& stats() const { return stats_; }

 private:
  struct Node {
    std::string key;
    Entry entry;
    size_t bytes = 0;
  };
  void Erase(std::list<Node>::iterator it);

  size_t max_bytes_;
  std::list<Node> lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Node>::iterator> index_;  // keys live in lru_
  Stats stats_;
};

}  // namespace s1mple::engine
