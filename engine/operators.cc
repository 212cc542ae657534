// The operators' merge rules (engine/operators.h; docs/CONFIGURATION.md).
#include "engine/operators.h"

#include <algorithm>
#include <cmath>

namespace s1mple::engine {

void SortByScore(std::span<Opportunity> step) {
  std::stable_sort(step.begin(), step.end(),
                   [](const Opportunity& a, const Opportunity& b) { return a.score > b.score; });
}

void PlanMerge::Add(const TradePlan& out) {
  if (out.rejected) {
    if (!merged_.rejected) merged_.Reject(out.reject_reason);
    return;
  }
  const double ref = out.ReferenceOr(close_);
  if (!entry_set_ && (out.entry_type != base_.entry_type || out.entry_price != base_.entry_price ||
                      out.reference_price != base_.reference_price)) {
    merged_.entry_type = out.entry_type;
    merged_.entry_price = out.entry_price;
    merged_.reference_price = out.reference_price;
    entry_set_ = true;
  }
  // Nearest the expected entry. (merged_ differs from base_ only once a worker set a level, so
  // it holds one then.)
  if (out.stop_loss != base_.stop_loss && out.stop_loss &&
      (merged_.stop_loss == base_.stop_loss ||
       std::fabs(ref - out.stop_loss->v) < std::fabs(ref - merged_.stop_loss->v)))
    merged_.stop_loss = out.stop_loss;
  if (out.take_profit != base_.take_profit && out.take_profit &&
      (merged_.take_profit == base_.take_profit ||
       std::fabs(ref - out.take_profit->v) < std::fabs(ref - merged_.take_profit->v)))
    merged_.take_profit = out.take_profit;
  if (out.size.v != base_.size.v && out.size.v > 0 &&
      (merged_.size.v == base_.size.v || out.size.v < merged_.size.v))
    merged_.size = out.size;
  if (!routing_set_ && (out.expiry_bars != base_.expiry_bars || out.slices != base_.slices ||
                        out.slice_interval_bars != base_.slice_interval_bars)) {
    merged_.expiry_bars = out.expiry_bars;
    merged_.slices = out.slices;
    merged_.slice_interval_bars = out.slice_interval_bars;
    routing_set_ = true;
  }
}

void ActionMerge::Add(const ActionSet& a) {
  if (a.set_stop && a.stop) {
    if (!merged_.set_stop ||
        (is_long_ ? a.stop->v > merged_.stop->v : a.stop->v < merged_.stop->v)) {
      merged_.set_stop = true;
      merged_.stop = a.stop;
    }
  }
  if (a.set_target && !merged_.set_target) {
    merged_.set_target = true;
    merged_.target = a.target;
  }
  if (a.close_fraction > merged_.close_fraction) {
    merged_.close_fraction = a.close_fraction;
    merged_.reason = a.reason;
  }
  merged_.cancel_entries = merged_.cancel_entries || a.cancel_entries;
}

}  // namespace s1mple::engine
