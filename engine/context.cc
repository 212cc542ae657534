// The columnar context frame and its shared indicator cache.
#include "engine/context.h"

#include <limits>
#include <utility>

#include "engine/indicators.h"

namespace s1mple::engine {

namespace {
// Column buffers of finished frames, reused by the next frames on this thread.
class ColumnPool {
 public:
  static constexpr size_t kMaxBytes = size_t{512} << 20;

  std::vector<double> Take(size_t n) {
    // The smallest buffer that fits; buffers are few (columns of a handful of frames).
    size_t best = free_.size();
    for (size_t i = 0; i < free_.size(); ++i)
      if (free_[i].capacity() >= n &&
          (best == free_.size() || free_[i].capacity() < free_[best].capacity()))
        best = i;
    if (best == free_.size()) return {};
    std::vector<double> v = std::move(free_[best]);
    free_[best] = std::move(free_.back());
    free_.pop_back();
    bytes_ -= v.capacity() * sizeof(double);
    return v;
  }
  void Give(std::vector<double>&& v) {
    const size_t b = v.capacity() * sizeof(double);
    if (b == 0 || b > kMaxBytes) return;
    while (bytes_ + b > kMaxBytes && !free_.empty()) {  // drop the oldest
      bytes_ -= free_.front().capacity() * sizeof(double);
      free_.erase(free_.begin());
    }
    bytes_ += b;
    free_.push_back(std::move(v));
  }

 private:
  std::vector<std::vector<double>> free_;
  size_t bytes_ = 0;
};

ColumnPool& Pool() {
  thread_local ColumnPool pool;
  return pool;
}
}  // namespace

ContextFrame::ContextFrame(const BarSeries& bars)
    : bars_(&bars),
      names_{"open", "high", "low", "close", "volume"},
      spans_{bars.open, bars.high, bars.low, bars.close, bars.volume} {}

ContextFrame::~ContextFrame() {
  for (auto& column : owned_) Pool().Give(std::move(column));
}

std::optional<ColumnId> ContextFrame::Find(std::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return static_cast<ColumnId>(i);
  return std::nullopt;
}

std::span<double> ContextFrame::MutableColumn(ColumnId id) {
  if (id < kBarColumnCount) return {};  // bar columns are read-only
  return owned_[id - kBarColumnCount];  // empty for a shared column
}

Result<ColumnId> ContextFrame::AddColumn(std::string name) {
  return NewColumn(std::move(name), true);
}

Result<ColumnId> ContextFrame::NewColumn(std::string name, bool fill_nan) {
  if (Find(name)) return Status::InvalidArgument("context column '" + name + "' already exists");
  names_.push_back(std::move(name));
  std::vector<double> column = Pool().Take(size());
  if (fill_nan)
    column.assign(size(), std::numeric_limits<double>::quiet_NaN());
  else
    column.resize(size());      // a pooled buffer of this length keeps its values: no pass over it
  spans_.emplace_back(column);  // moving the vector keeps its buffer
  owned_.push_back(std::move(column));
  shared_.emplace_back();
  return static_cast<ColumnId>(names_.size() - 1);
}

void ContextFrame::UseCache(ColumnCache* cache, std::string key_prefix) {
  cache_ = cache;
  cache_prefix_ = std::move(key_prefix);
}

Result<ColumnId> ContextFrame::AddShared(std::string name, ColumnCache::Column values) {
  if (Find(name)) return Status::InvalidArgument("context column '" + name + "' already exists");
  if (!values || values->size() != size())
    return Status::InvalidArgument("context column '" + name +
                                   "': " + std::to_string(values ? values->size() : 0) +
                                   " values for " + std::to_string(size()) + " bars");
  names_.push_back(std::move(name));
  spans_.emplace_back(*values);
  owned_.emplace_back();
  shared_.push_back(std::move(values));
  return static_cast<ColumnId>(names_.size() - 1);
}

ColumnCache::Column ContextFrame::Share(ColumnId id) const {
  if (id >= kBarColumnCount && shared_[id - kBarColumnCount]) return shared_[id - kBarColumnCount];
  const auto values = Column(id);
  return std::make_shared<const std::vector<double>>(values.begin(), values.end());
}

std::optional<Result<ColumnId>> ContextFrame::FromCache(const std::string& name, ColumnId source) {
  if (!Cacheable(source)) return std::nullopt;
  const ColumnCache::Entry* hit = cache_->Find(IndicatorKey(name));
  if (!hit || hit->columns.size() != 1 || !hit->columns[0] || hit->columns[0]->size() != size())
    return std::nullopt;
  return AddShared(name, hit->columns[0]);
}

template <typename Compute>
Result<ColumnId> ContextFrame::ComputeShared(std::string name, Compute compute) {
  auto values = std::make_shared<std::vector<double>>(size());
  compute(std::span<double>(*values));
  ColumnCache::Column column = std::move(values);
  cache_->Insert(IndicatorKey(name), ColumnCache::Entry{{name}, {column}});
  return AddShared(std::move(name), std::move(column));
}

namespace {
std::string IndicatorName(std::string_view kind, int period, ColumnId source,
                          const ContextFrame& f) {
  std::string name = std::string(kind) + "_" + std::to_string(period);
  if (source != kCloseColumn) name += "_" + f.Name(source);
  return name;
}

Status CheckPeriod(int period, size_t source, size_t columns) {
  if (period < 1) return Status::InvalidArgument("indicator period must be >= 1");
  if (source >= columns) return Status::InvalidArgument("indicator source column does not exist");
  return Status::Ok();
}
}  // namespace

// The shared-indicator skeleton: the column named <kind>_<period>[_<source>] if it exists, else a
// new column that `compute(source, out)` fills for every bar.
template <typename Compute>
Result<ColumnId> ContextFrame::Indicator(std::string_view kind, int period, ColumnId source,
                                         Compute compute) {
  S1MPLE_RETURN_IF_ERROR(CheckPeriod(period, source, names_.size()));
  std::string name = IndicatorName(kind, period, source, *this);
  if (auto id = Find(name)) return *id;
  if (auto cached = FromCache(name, source)) return *cached;
  const std::span<const double> in = Column(source);
  if (Cacheable(source))
    return ComputeShared(std::move(name), [&](std::span<double> out) { compute(in, out); });
  auto id = NewColumn(std::move(name), false);  // the indicator writes every bar
  if (!id.ok()) return id.status();
  compute(in, MutableColumn(*id));
  return *id;
}

Result<ColumnId> ContextFrame::Ema(int period, ColumnId source) {
  return Indicator(
      "ema", period, source,
      [period](std::span<const double> in, std::span<double> out) { ComputeEma(in, period, out); });
}

Result<std::pair<ColumnId, ColumnId>> ContextFrame::EmaPair(int period_a, int period_b,
                                                            ColumnId source) {
  S1MPLE_RETURN_IF_ERROR(CheckPeriod(period_a, source, names_.size()));
  S1MPLE_RETURN_IF_ERROR(CheckPeriod(period_b, source, names_.size()));
  std::string name_a = IndicatorName("ema", period_a, source, *this);
  std::string name_b = IndicatorName("ema", period_b, source, *this);
  if (period_a == period_b || Find(name_a) || Find(name_b)) {  // at most one to compute
    auto a = Ema(period_a, source);
    if (!a.ok()) return a.status();
    auto b = Ema(period_b, source);
    if (!b.ok()) return b.status();
    return std::pair{*a, *b};
  }
  if (Cacheable(source)) {
    // Both in the cache, or one (the other computed alone: ComputeEma2 gives the same values),
    // or neither: both in one pass, then both kept. Either way a is added before b.
    auto a = FromCache(name_a, source);
    if (a || cache_->Contains(IndicatorKey(name_b))) {
      if (!a) a = Ema(period_a, source);
      if (!a->ok()) return a->status();
      auto b = Ema(period_b, source);
      if (!b.ok()) return b.status();
      return std::pair{**a, *b};
    }
    const std::span<const double> in = Column(source);
    auto va = std::make_shared<std::vector<double>>(size());
    auto vb = std::make_shared<std::vector<double>>(size());
    ComputeEma2(in, period_a, *va, period_b, *vb);
    cache_->Insert(IndicatorKey(name_a), ColumnCache::Entry{{name_a}, {va}});
    cache_->Insert(IndicatorKey(name_b), ColumnCache::Entry{{name_b}, {vb}});
    auto ia = AddShared(std::move(name_a), std::move(va));
    if (!ia.ok()) return ia.status();
    auto ib = AddShared(std::move(name_b), std::move(vb));
    if (!ib.ok()) return ib.status();
    return std::pair{*ia, *ib};
  }
  auto a = NewColumn(std::move(name_a), false);
  if (!a.ok()) return a.status();
  auto b = NewColumn(std::move(name_b), false);
  if (!b.ok()) return b.status();
  ComputeEma2(Column(source), period_a, MutableColumn(*a), period_b, MutableColumn(*b));
  return std::pair{*a, *b};
}

Result<ColumnId> ContextFrame::Rsi(int period, ColumnId source) {
  return Indicator(
      "rsi", period, source,
      [period](std::span<const double> in, std::span<double> out) { ComputeRsi(in, period, out); });
}

Result<ColumnId> ContextFrame::Atr(int period) {  // of high, low and close: named atr_<period>
  return Indicator("atr", period, kCloseColumn,
                   [this, period](std::span<const double>, std::span<double> out) {
                     ComputeAtr(bars_->high, bars_->low, bars_->close, period, out);
                   });
}

}  // namespace s1mple::engine
