// The per-run context: one column of doubles per bar field and per indicator, all as long as the
// bar series. Context workers fill columns before the bar loop (every column is causal: the value
// at bar t depends only on bars 0..t; NaN while an indicator warms up). Other workers read a
// column by the ColumnId they resolved once at Bind time, never by name per bar.
//
// The frame also is the shared indicator cache: Ema(), Atr(), Rsi() return the column for that
// indicator, computing it the first time it is asked for, so a trend_follower that needs
// ema_12 and an `ema` context worker with period 12 share one column.
//
// With a ColumnCache (UseCache), indicators of bar columns come from, and go to, the cache that
// a runner process keeps across the jobs of a sweep (engine/column_cache.h): a cached column is
// a read-only column that several frames share.
//
// Not thread-safe; one frame per run, used by the run's thread only (no mutex, so no
// thread-safety annotations; the column pool is per thread). Owns its columns.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "engine/column_cache.h"
#include "engine/data.h"

namespace s1mple::engine {

using ColumnId = uint32_t;

// The bar columns every frame starts with, in this order.
inline constexpr ColumnId kOpenColumn = 0;
inline constexpr ColumnId kHighColumn = 1;
inline constexpr ColumnId kLowColumn = 2;
inline constexpr ColumnId kCloseColumn = 3;
inline constexpr ColumnId kVolumeColumn = 4;
inline constexpr ColumnId kBarColumnCount = 5;

class ContextFrame {
 public:
  // Borrows `bars`, which must outlive the frame.
  explicit ContextFrame(const BarSeries& bars);
  // Hands its column buffers to this thread's column pool (see AddColumn).
  ~ContextFrame();
  ContextFrame(const ContextFrame&) = delete;
  ContextFrame& operator=(const ContextFrame&) = delete;

  const BarSeries& bars() const { return *bars_; }
  size_t size() const { return bars_->size(); }
  size_t column_count() const { return names_.size(); }

  std::optional<ColumnId> Find(std::string_view name) const;
  const std::string& Name(ColumnId id) const { return names_[id]; }
  std::span<const double> Column(ColumnId id) const { return spans_[id]; }
  const double* Data(ColumnId id) const { return spans_[id].data(); }

  // Adds a column of NaNs. Fails (InvalidArgument, naming the column) if the name is taken.
  // The buffer comes from a per-thread pool of the buffers of frames that ended on this thread
  // (a runner slot runs backtest after backtest on series of one length), so a run does not
  // page-fault its columns in afresh; the pool keeps at most 512 MiB.
  [[nodiscard]] Result<ColumnId> AddColumn(std::string name);
  // The values of a column this frame owns; empty for the bar columns and shared columns.
  std::span<double> MutableColumn(ColumnId id);

  // Shares the indicators of bar columns (Ema, EmaPair, Rsi, Atr) with other runs through
  // `cache`, under `key_prefix` + "ind|" + the column's name. nullptr: none (the default).
  void UseCache(ColumnCache* cache, std::string key_prefix);
  // Adds `values` (as long as the frame: a cached column) as a read-only column. Fails as
  // AddColumn when the name is taken, and when the length differs.
  [[nodiscard]] Result<ColumnId> AddShared(std::string name, ColumnCache::Column values);
  // Column `id`'s values for a cache: the shared column itself, or a copy of an owned one.
  ColumnCache::Column Share(ColumnId id) const;

  // Shared indicators (see indicators.h for the formulas). Names: "ema_<p>" / "rsi_<p>" of close,
  // "ema_<p>_<source>" / "rsi_<p>_<source>" of another column, "atr_<p>".
  [[nodiscard]] Result<ColumnId> Ema(int period, ColumnId source = kCloseColumn);
  // Both EMAs (e.g. a crossover's fast and slow), computed in one pass when neither exists yet.
  [[nodiscard]] Result<std::pair<ColumnId, ColumnId>> EmaPair(int period_a, int period_b,
                                                              ColumnId source = kCloseColumn);
  [[nodiscard]] Result<ColumnId> Rsi(int period, ColumnId source = kCloseColumn);
  [[nodiscard]] Result<ColumnId> Atr(int period);

 private:
  // AddColumn; without `fill_nan` the buffer's old values stay (the caller overwrites every bar).
  Result<ColumnId> NewColumn(std::string name, bool fill_nan);
  // Ema, Rsi, Atr: the cached column of one indicator of `source`, or a new one (context.cc).
  template <typename Compute>
  Result<ColumnId> Indicator(std::string_view kind, int period, ColumnId source, Compute compute);
  // With a cache and a bar-column source: the cache's column named `name`, added to the frame
  // (nullopt when absent or when there is no cache).
  std::optional<Result<ColumnId>> FromCache(const std::string& name, ColumnId source);
  // A new shared column `name` that `compute(out)` fills, kept in the cache.
  template <typename Compute>
  Result<ColumnId> ComputeShared(std::string name, Compute compute);
  bool Cacheable(ColumnId source) const { return cache_ && source < kBarColumnCount; }
  std::string IndicatorKey(std::string_view name) const {
    std::string key = cache_prefix_;
    key += "ind|";
    key += name;
    return key;
  }

  const BarSeries* bars_;
  std::vector<std::string> names_;
  std::vector<std::span<const double>> spans_;  // every column's values, by id
  // Columns past the bar columns (index id - kBarColumnCount): an owned buffer, or empty with
  // the shared values in shared_.
  std::vector<std::vector<double>> owned_;
  std::vector<ColumnCache::Column> shared_;
  ColumnCache* cache_ = nullptr;
  std::string cache_prefix_;
};

}  // namespace s1mple::engine
