// Market structure, volume averages, channels and percentile ranks shared by the catalog plugins.
#include "engine/plugins/structure.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "engine/indicators.h"

namespace s1mple::engine::structure {

namespace {

constexpr double kNaNValue = std::numeric_limits<double>::quiet_NaN();

constexpr std::array<const char*, kStructureColumnCount> kStructureNames = {
    "swing_high",   "swing_low",   "bos",          "structure_trend", "ob_bull_low",
    "ob_bull_high", "ob_bear_low", "ob_bear_high", "liq_above",       "liq_below"};

// Up to `capacity` unswept swing levels, oldest first; adding to a full set drops the oldest.
// The set changes on few bars (a new swing, a sweep), so its extremes and its nearest cluster
// are kept and recomputed only then: a bar whose range reaches no level costs two comparisons.
class LevelSet {
 public:
  LevelSet(int capacity, bool above, double tol)
      : capacity_(static_cast<size_t>(capacity)), above_(above), tol_(tol) {
    levels_.reserve(capacity_);
  }
  void Add(double level) {
    if (levels_.size() == capacity_) levels_.erase(levels_.begin());
    levels_.push_back(level);
    Update();
  }
  // Liquidity above: drops the levels at or below `high` (traded through).
  void SweepAtOrBelow(double high) {
    if (levels_.empty() || !(lowest_ <= high)) return;  // none is
    levels_.erase(
        std::remove_if(levels_.begin(), levels_.end(), [high](double v) { return v <= high; }),
        levels_.end());
    Update();
  }
  // Liquidity below: drops the levels at or above `low`.
  void SweepAtOrAbove(double low) {
    if (levels_.empty() || !(highest_ >= low)) return;
    levels_.erase(
        std::remove_if(levels_.begin(), levels_.end(), [low](double v) { return v >= low; }),
        levels_.end());
    Update();
  }
  // The nearest level (smallest above, largest below), widened to the farthest level of its
  // cluster (levels within `tol` relative distance of the nearest one). NaN when empty.
  double NearestCluster() const { return cluster_; }

 private:
  void Update() {
    if (levels_.empty()) {
      cluster_ = kNaNValue;
      return;
    }
    lowest_ = highest_ = levels_[0];
    for (double v : levels_) {
      lowest_ = std::min(lowest_, v);
      highest_ = std::max(highest_, v);
    }
    const double nearest = above_ ? lowest_ : highest_;
    double edge = nearest;
    for (double v : levels_)
      if (std::fabs(v - nearest) <= tol_ * nearest)
        edge = above_ ? std::max(edge, v) : std::min(edge, v);
    cluster_ = edge;
  }

  size_t capacity_;
  bool above_;
  double tol_;
  std::vector<double> levels_;
  double lowest_ = kNaNValue, highest_ = kNaNValue, cluster_ = kNaNValue;
};

bool IsSwingHigh(std::span<const double> high, size_t p, size_t lb) {
  for (size_t i = 1; i <= lb; ++i)
    if (!(high[p] > high[p - i]) || !(high[p] >= high[p + i])) return false;
  return true;
}

bool IsSwingLow(std::span<const double> low, size_t p, size_t lb) {
  for (size_t i = 1; i <= lb; ++i)
    if (!(low[p] < low[p - i]) || !(low[p] <= low[p + i])) return false;
  return true;
}

// The last candle of the wanted colour in the `search` bars before t, or -1.
int64_t FindOrderBlockCandle(std::span<const double> open, std::span<const double> close, size_t t,
                             int search, bool down_candle) {
  const int64_t stop = std::max<int64_t>(0, static_cast<int64_t>(t) - search);
  for (int64_t j = static_cast<int64_t>(t) - 1; j >= stop; --j)
    if (down_candle ? close[j] < open[j] : close[j] > open[j]) return j;
  return -1;
}

}  // namespace

std::string StructureOptions::Key() const {
  const StructureOptions d;
  if (liquidity_swings == d.liquidity_swings &&
      liquidity_tolerance_bps == d.liquidity_tolerance_bps &&
      order_block_search == d.order_block_search)
    return std::to_string(swing_lookback);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%d_%d_%g_%d", swing_lookback, liquidity_swings,
                liquidity_tolerance_bps, order_block_search);
  return buf;
}

std::string StructureColumnName(int index, const std::string& key) {
  return std::string(kStructureNames[static_cast<size_t>(index)]) + "_" + key;
}

void ComputeStructure(std::span<const double> open, std::span<const double> high,
                      std::span<const double> low, std::span<const double> close,
                      const StructureOptions& o, const StructureOut& out) {
  const size_t n = close.size();
  const size_t lb = static_cast<size_t>(std::max(1, o.swing_lookback));
  const double tol = o.liquidity_tolerance_bps / 10000.0;
  double last_sh = kNaNValue, last_sl = kNaNValue;
  bool sh_open = false, sl_open = false;  // an unbroken swing level exists
  double trend = 0;
  double bull_lo = kNaNValue, bull_hi = kNaNValue, bear_lo = kNaNValue, bear_hi = kNaNValue;
  LevelSet highs(o.liquidity_swings, /*above=*/true, tol), lows(o.liquidity_swings, false, tol);
  for (size_t t = 0; t < n; ++t) {
    // 1. A swing point at p = t - lb is confirmed once lb bars have followed it.
    if (t >= 2 * lb) {
      const size_t p = t - lb;
      if (IsSwingHigh(high, p, lb)) {
        last_sh = high[p];
        sh_open = true;
        highs.Add(high[p]);
      }
      if (IsSwingLow(low, p, lb)) {
        last_sl = low[p];
        sl_open = true;
        lows.Add(low[p]);
      }
    }
    // 2. Break of structure: a close beyond the last unbroken swing level.
    double bos = 0;
    if (sh_open && close[t] > last_sh) {
      bos = 1;
      sh_open = false;
    } else if (sl_open && close[t] < last_sl) {
      bos = -1;
      sl_open = false;
    }
    if (bos != 0) trend = bos;
    // 3. Order blocks: the last opposite candle before the break; void once closed through.
    if (bos > 0) {
      const int64_t j = FindOrderBlockCandle(open, close, t, o.order_block_search, true);
      if (j >= 0) bull_lo = low[j], bull_hi = high[j];
    } else if (bos < 0) {
      const int64_t j = FindOrderBlockCandle(open, close, t, o.order_block_search, false);
      if (j >= 0) bear_lo = low[j], bear_hi = high[j];
    }
    if (close[t] < bull_lo) bull_lo = bull_hi = kNaNValue;
    if (close[t] > bear_hi) bear_lo = bear_hi = kNaNValue;
    // 4. Liquidity: swing levels not yet traded through.
    const double h = high[t], l = low[t];
    highs.SweepAtOrBelow(h);
    lows.SweepAtOrAbove(l);

    out.swing_high[t] = last_sh;
    out.swing_low[t] = last_sl;
    out.bos[t] = bos;
    out.trend[t] = trend;
    out.ob_bull_low[t] = bull_lo;
    out.ob_bull_high[t] = bull_hi;
    out.ob_bear_low[t] = bear_lo;
    out.ob_bear_high[t] = bear_hi;
    out.liq_above[t] = highs.NearestCluster();
    out.liq_below[t] = lows.NearestCluster();
  }
}

Result<StructureColumns> EnsureStructure(ContextFrame& frame, const StructureOptions& options) {
  if (options.swing_lookback < 1 || options.liquidity_swings < 1 || options.order_block_search < 1)
    return Status::InvalidArgument("market structure options must be >= 1");
  const std::string key = options.Key();
  std::array<ColumnId, kStructureColumnCount> ids{};
  const bool present = frame.Find(StructureColumnName(0, key)).has_value();
  for (int i = 0; i < kStructureColumnCount; ++i) {
    const std::string name = StructureColumnName(i, key);
    if (present) {
      auto id = frame.Find(name);
      if (!id) return Status::Internal("context column '" + name + "' is missing");
      ids[static_cast<size_t>(i)] = *id;
    } else {
      auto id = frame.AddColumn(name);
      if (!id.ok()) return id.status();
      ids[static_cast<size_t>(i)] = *id;
    }
  }
  if (!present) {
    auto col = [&](int i) { return frame.MutableColumn(ids[static_cast<size_t>(i)]); };
    const StructureOut out{col(0), col(1), col(2), col(3), col(4),
                           col(5), col(6), col(7), col(8), col(9)};
    ComputeStructure(frame.Column(kOpenColumn), frame.Column(kHighColumn), frame.Column(kLowColumn),
                     frame.Column(kCloseColumn), options, out);
  }
  auto data = [&](int i) { return frame.Data(ids[static_cast<size_t>(i)]); };
  return StructureColumns{data(0), data(1), data(2), data(3), data(4),
                          data(5), data(6), data(7), data(8), data(9)};
}

Result<ColumnId> EnsureVolumeSma(ContextFrame& frame, int period) {
  if (period < 1) return Status::InvalidArgument("volume average period must be >= 1");
  std::string name = "volume_sma_" + std::to_string(period);
  if (auto id = frame.Find(name)) return *id;
  auto id = frame.AddColumn(std::move(name));
  if (!id.ok()) return id.status();
  ComputeSma(frame.Column(kVolumeColumn), period, frame.MutableColumn(*id));
  return *id;
}

void ComputePriorChannel(std::span<const double> high, std::span<const double> low, int period,
                         std::span<double> upper, std::span<double> lower) {
  const size_t n = high.size();
  const size_t p = static_cast<size_t>(std::max(1, period));
  // Monotonic deques of indices (ring buffers of capacity n) over bars t-p .. t-1.
  std::vector<size_t> qmax(n + 1), qmin(n + 1);
  size_t hmax = 0, tmax = 0, hmin = 0, tmin = 0;
  for (size_t t = 0; t < n; ++t) {
    if (t >= 1) {  // admit bar t-1
      const size_t j = t - 1;
      while (tmax > hmax && high[qmax[tmax - 1]] <= high[j]) --tmax;
      qmax[tmax++] = j;
      while (tmin > hmin && low[qmin[tmin - 1]] >= low[j]) --tmin;
      qmin[tmin++] = j;
    }
    while (hmax < tmax && qmax[hmax] + p < t) ++hmax;  // keep j >= t - p
    while (hmin < tmin && qmin[hmin] + p < t) ++hmin;
    if (t >= p) {
      upper[t] = high[qmax[hmax]];
      lower[t] = low[qmin[hmin]];
    } else {
      upper[t] = lower[t] = kNaNValue;
    }
  }
}

Result<Channel> EnsurePriorChannel(ContextFrame& frame, int period) {
  if (period < 1) return Status::InvalidArgument("channel period must be >= 1");
  const std::string up = "channel_hh_" + std::to_string(period);
  const std::string lo = "channel_ll_" + std::to_string(period);
  auto u = frame.Find(up);
  auto l = frame.Find(lo);
  if (!u || !l) {
    auto ui = frame.AddColumn(up);
    if (!ui.ok()) return ui.status();
    auto li = frame.AddColumn(lo);
    if (!li.ok()) return li.status();
    u = *ui;
    l = *li;
    ComputePriorChannel(frame.Column(kHighColumn), frame.Column(kLowColumn), period,
                        frame.MutableColumn(*u), frame.MutableColumn(*l));
  }
  return Channel{frame.Data(*u), frame.Data(*l)};
}

namespace {
class Fenwick {
 public:
  explicit Fenwick(size_t n) : tree_(n + 1, 0) {}
  void Add(size_t i, int32_t d) {
    for (++i; i < tree_.size(); i += i & (~i + 1)) tree_[i] += d;
  }
  int64_t Prefix(size_t i) const {  // sum of [0, i]
    int64_t s = 0;
    for (++i; i > 0; i -= i & (~i + 1)) s += tree_[i];
    return s;
  }

 private:
  std::vector<int32_t> tree_;
};
}  // namespace

void RollingPercentRank(std::span<const double> in, int window, int min_count,
                        std::span<double> out) {
  const size_t n = in.size();
  std::vector<double> sorted;
  sorted.reserve(n);
  for (double v : in)
    if (!std::isnan(v)) sorted.push_back(v);
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<int32_t> rank(n, -1);
  for (size_t t = 0; t < n; ++t)
    if (!std::isnan(in[t]))
      rank[t] = static_cast<int32_t>(std::lower_bound(sorted.begin(), sorted.end(), in[t]) -
                                     sorted.begin());
  Fenwick fw(sorted.size());
  const size_t w = static_cast<size_t>(std::max(1, window));
  int64_t count = 0;
  for (size_t t = 0; t < n; ++t) {
    if (rank[t] >= 0) fw.Add(static_cast<size_t>(rank[t]), 1), ++count;
    if (t >= w && rank[t - w] >= 0) fw.Add(static_cast<size_t>(rank[t - w]), -1), --count;
    if (rank[t] < 0 || count < min_count || count == 0) {
      out[t] = kNaNValue;
      continue;
    }
    // Mid-rank: values below count fully, values equal to this one half (ties rank 50).
    const size_t r = static_cast<size_t>(rank[t]);
    const int64_t below = r > 0 ? fw.Prefix(r - 1) : 0;
    const int64_t equal = fw.Prefix(r) - below;
    out[t] = 100.0 * (static_cast<double>(below) + 0.5 * static_cast<double>(equal)) /
             static_cast<double>(count);
  }
}

int64_t BarIntervalMs(const BarSeries& bars) {
  int64_t best = 0;
  const size_t n = std::min<size_t>(bars.size(), 256);
  for (size_t i = 1; i < n; ++i) {
    const int64_t d = bars.ts_ms[i] - bars.ts_ms[i - 1];
    if (d > 0 && (best == 0 || d < best)) best = d;
  }
  return best;
}

}  // namespace s1mple::engine::structure
