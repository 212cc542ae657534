// Small helpers for writing plugin manifests and registering built-ins.
#pragma once

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/plugin_registry.h"

namespace s1mple::engine::plugin {

inline ParamSpec Int(std::string name, int64_t def, double min, double max, std::string doc) {
  return {std::move(name), ParamType::kInt, ParamValue(def), min, max, {}, std::move(doc)};
}
inline ParamSpec Float(std::string name, double def, double min, double max, std::string doc) {
  return {std::move(name), ParamType::kFloat, ParamValue(def), min, max, {}, std::move(doc)};
}
inline ParamSpec Bool(std::string name, bool def, std::string doc) {
  return {std::move(name), ParamType::kBool, ParamValue(def), {}, {}, {}, std::move(doc)};
}
inline ParamSpec String(std::string name, std::string def, std::string doc) {
  return {std::move(name), ParamType::kString, ParamValue(std::move(def)), {}, {}, {},
          std::move(doc)};
}
inline ParamSpec Enum(std::string name, std::string def, std::vector<std::string> choices,
                      std::string doc) {
  return {std::move(name),    ParamType::kEnum, ParamValue(std::move(def)), {}, {},
          std::move(choices), std::move(doc)};
}
inline ParamSpec StringList(std::string name, std::vector<std::string> def,
                            std::vector<std::string> choices, std::string doc) {
  return {std::move(name),    ParamType::kStringList, ParamValue(std::move(def)), {}, {},
          std::move(choices), std::move(doc)};
}

// Registers a built-in; a failure is a programming error in the manifest, so it aborts loudly.
inline void MustRegister(PluginRegistry& r, PluginManifest m, WorkerFactory f) {
  Status s = r.Register(std::move(m), std::move(f));
  if (!s.ok()) {
    std::fprintf(stderr, "s1mple: built-in plugin registration failed: %s\n", s.ToString().c_str());
    std::abort();
  }
}

// A factory for a worker type constructible from a ParamSet that needs no extra checks.
template <typename W>
WorkerFactory Make() {
  return [](const ParamSet& p) -> Result<std::unique_ptr<Worker>> {
    return std::unique_ptr<Worker>(std::make_unique<W>(p));
  };
}

// The skeleton of a context worker that makes one shared indicator column of a source column
// (ema, rsi): params `period` and `source`; Bind resolves `source` among the columns visible to it
// (BindContext::ResolveSource), Compute asks the frame's indicator cache (ContextFrame::Ema,
// ContextFrame::Rsi), so a worker and a plugin that ask for the same indicator share the column.
template <Result<ColumnId> (ContextFrame::*kIndicator)(int, ColumnId)>
class SourcedIndicator final : public ContextWorker {
 public:
  explicit SourcedIndicator(const ParamSet& p)
      : period_(static_cast<int>(p.GetInt("period"))), source_name_(p.GetString("source")) {}

 protected:
  Status OnBind(BindContext& ctx) override {
    auto src = ctx.ResolveSource(source_name_);
    if (!src.ok()) return src.status();
    source_ = *src;
    return Status::Ok();
  }
  Status OnCompute(ContextFrame& frame) override {
    return (frame.*kIndicator)(period_, source_).status();
  }

 private:
  int period_;
  std::string source_name_;
  ColumnId source_ = kCloseColumn;
};

// The spread fast EMA - slow EMA of the close on the frame's shared columns (both computed in
// one pass when new): what an EMA-crossover worker (trend_follower, ema_cross_exit) reads.
class EmaSpread {
 public:
  EmaSpread(int fast_period, int slow_period)
      : fast_period_(fast_period), slow_period_(slow_period) {}
  Status Bind(BindContext& ctx) {
    auto emas = ctx.frame.EmaPair(fast_period_, slow_period_);
    if (!emas.ok()) return emas.status();
    fast_ = ctx.frame.Data(emas->first);
    slow_ = ctx.frame.Data(emas->second);
    return Status::Ok();
  }
  // The spread on bar t (t >= 1) and on bar t - 1; NaN while an EMA warms up, so every
  // comparison a cross test makes with it is false.
  double Now(uint32_t t) const { return fast_[t] - slow_[t]; }
  double Before(uint32_t t) const { return fast_[t - 1] - slow_[t - 1]; }
  // The first bar t in [from, end), t >= 1, on which the spread crosses up (`up`: Before(t) <= 0
  // and Now(t) > 0) or down (`down`: Before(t) >= 0 and Now(t) < 0): the very tests the workers
  // make on each bar, on the same values. `end` when none (quiet bars, engine/worker.h).
  uint32_t NextCross(uint32_t from, uint32_t end, bool up, bool down) const {
    uint32_t t = from < 1 ? 1 : from;
    if (t >= end) return end;
#if defined(__SSE2__)
    // Four bars at a time: the same subtractions (each spread once; `before` is the previous
    // spread, shuffled in) and the same ordered comparisons (false with NaN, as C's); then bar
    // by bar for the last ones.
    if (t + 4 <= end) {
      const __m128d zero = _mm_setzero_pd();
      const __m128d want_up = _mm_castsi128_pd(_mm_set1_epi64x(up ? -1 : 0));
      const __m128d want_down = _mm_castsi128_pd(_mm_set1_epi64x(down ? -1 : 0));
      auto crossed = [&](__m128d before, __m128d now) {
        const __m128d u = _mm_and_pd(_mm_cmple_pd(before, zero), _mm_cmpgt_pd(now, zero));
        const __m128d d = _mm_and_pd(_mm_cmpge_pd(before, zero), _mm_cmplt_pd(now, zero));
        return _mm_movemask_pd(_mm_or_pd(_mm_and_pd(want_up, u), _mm_and_pd(want_down, d)));
      };
      // prev holds the spreads of bars t-2, t-1 (only t-1 is used).
      __m128d prev = _mm_set_pd(Before(t), Before(t));
      for (; t + 4 <= end; t += 4) {
        const __m128d n0 = _mm_sub_pd(_mm_loadu_pd(fast_ + t), _mm_loadu_pd(slow_ + t));
        const __m128d n1 = _mm_sub_pd(_mm_loadu_pd(fast_ + t + 2), _mm_loadu_pd(slow_ + t + 2));
        const int h0 = crossed(_mm_shuffle_pd(prev, n0, 1), n0);
        const int h1 = crossed(_mm_shuffle_pd(n0, n1, 1), n1);
        if (h0 | h1) return h0 ? t + ((h0 & 1) ? 0 : 1) : t + 2 + ((h1 & 1) ? 0 : 1);
        prev = n1;
      }
    }
#endif
    if (t >= end) return end;
    double before = Before(t);
    for (; t < end; ++t) {
      const double now = Now(t);
      if ((up && before <= 0 && now > 0) || (down && before >= 0 && now < 0)) return t;
      before = now;
    }
    return end;
  }

 private:
  int fast_period_, slow_period_;
  const double* fast_ = nullptr;
  const double* slow_ = nullptr;
};

// Fixed-fractional risk sizing (fixed_risk_sizer, adaptive_risk_sizer): the size that loses
// `risk_fraction` of `equity` when the stop is hit, capped so that the notional stays within
// `max_leverage` x equity:
//   size = min(equity x risk_fraction / |reference - stop|, equity x max_leverage / reference).
// The NaN rule: no size (nullopt; the sizers reject with SIZE_ZERO) unless equity, the stop
// distance |reference - stop| and the reference are positive numbers (NaN is none of them) and
// the size comes out a positive, finite number.
inline std::optional<Quantity> RiskSizedQuantity(Money equity, double risk_fraction,
                                                 Price reference, Price stop, double max_leverage) {
  const double distance = std::fabs(reference.v - stop.v);
  if (!(distance > 0) || !(equity.v > 0) || !(reference.v > 0)) return std::nullopt;
  const double size =
      std::min(equity.v * risk_fraction / distance, equity.v * max_leverage / reference.v);
  if (!(size > 0) || !std::isfinite(size)) return std::nullopt;
  return Quantity{size};
}

// A factory for a worker type whose int param `lower` must be below its int param `upper` (e.g.
// an EMA crossover's fast_period and slow_period); refuses otherwise, naming both values.
template <typename W>
WorkerFactory MakeOrdered(std::string lower, std::string upper) {
  return [lower, upper](const ParamSet& p) -> Result<std::unique_ptr<Worker>> {
    if (p.GetInt(lower) >= p.GetInt(upper))
      return Status::InvalidArgument(lower + " (" + std::to_string(p.GetInt(lower)) +
                                     ") must be below " + upper + " (" +
                                     std::to_string(p.GetInt(upper)) + ")");
    return std::unique_ptr<Worker>(std::make_unique<W>(p));
  };
}

}  // namespace s1mple::engine::plugin
