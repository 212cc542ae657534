// The columnar context frame and its shared indicator cache.
#include "engine/context.h"

#include <limits>

#include "engine/indicators.h"

namespace s1mple::engine {

ContextFrame::ContextFrame(const BarSeries& bars)
    : bars_(&bars), names_{"open", "high", "low", "close", "volume"} {}

std::optional<ColumnId> ContextFrame::Find(std::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return static_cast<ColumnId>(i);
  return std::nullopt;
}

std::span<const double> ContextFrame::Column(ColumnId id) const {
  switch (id) {
    case kOpenColumn:
      return bars_->open;
    case kHighColumn:
      return bars_->high;
    case kLowColumn:
      return bars_->low;
    case kCloseColumn:
      return bars_->close;
    case kVolumeColumn:
      return bars_->volume;
    default:
      return owned_[id - kBarColumnCount];
  }
}

std::span<double> ContextFrame::MutableColumn(ColumnId id) {
  return owned_[id - kBarColumnCount];  // bar columns are read-only
}

Result<ColumnId> ContextFrame::AddColumn(std::string name) {
  if (Find(name)) return Status::InvalidArgument("context column '" + name + "' already exists");
  names_.push_back(std::move(name));
  owned_.emplace_back(size(), std::numeric_limits<double>::quiet_NaN());
  return static_cast<ColumnId>(names_.size() - 1);
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

Result<ColumnId> ContextFrame::Ema(int period, ColumnId source) {
  S1MPLE_RETURN_IF_ERROR(CheckPeriod(period, source, names_.size()));
  std::string name = IndicatorName("ema", period, source, *this);
  if (auto id = Find(name)) return *id;
  auto id = AddColumn(std::move(name));
  if (!id.ok()) return id.status();
  ComputeEma(Column(source), period, MutableColumn(*id));
  return *id;
}

Result<ColumnId> ContextFrame::Rsi(int period, ColumnId source) {
  S1MPLE_RETURN_IF_ERROR(CheckPeriod(period, source, names_.size()));
  std::string name = IndicatorName("rsi", period, source, *this);
  if (auto id = Find(name)) return *id;
  auto id = AddColumn(std::move(name));
  if (!id.ok()) return id.status();
  ComputeRsi(Column(source), period, MutableColumn(*id));
  return *id;
}

Result<ColumnId> ContextFrame::Atr(int period) {
  S1MPLE_RETURN_IF_ERROR(CheckPeriod(period, kCloseColumn, names_.size()));
  std::string name = "atr_" + std::to_string(period);
  if (auto id = Find(name)) return *id;
  auto id = AddColumn(std::move(name));
  if (!id.ok()) return id.status();
  ComputeAtr(bars_->high, bars_->low, bars_->close, period, MutableColumn(*id));
  return *id;
}

}  // namespace s1mple::engine
