// Indicator formulas (see indicators.h for the definitions).
#include "engine/indicators.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace s1mple::engine {

namespace {
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
}

void ComputeSma(std::span<const double> in, int period, std::span<double> out) {
  const size_t n = in.size();
  double sum = 0;
  int count = 0;  // valid values in the window
  for (size_t t = 0; t < n; ++t) {
    if (std::isnan(in[t])) {  // restart after a gap
      sum = 0;
      count = 0;
      out[t] = kNan;
      continue;
    }
    sum += in[t];
    ++count;
    if (count > period) {
      sum -= in[t - static_cast<size_t>(period)];
      count = period;
    }
    out[t] = count == period ? sum / period : kNan;
  }
}

namespace {
// One EMA recurrence, stepped bar by bar (see ComputeEma).
class EmaStep {
 public:
  explicit EmaStep(int period) : period_(period), alpha_(2.0 / (period + 1.0)) {}
  double operator()(double x) {
    if (std::isnan(x)) {  // restart after a gap
      seen_ = 0;
      seed_sum_ = 0;
      return kNan;
    }
    if (seen_ < period_) {
      seed_sum_ += x;
      if (++seen_ < period_) return kNan;
      ema_ = seed_sum_ / period_;
      return ema_;
    }
    ema_ += alpha_ * (x - ema_);
    return ema_;
  }

 private:
  int period_;
  double alpha_;
  double ema_ = 0, seed_sum_ = 0;
  int seen_ = 0;
};
}  // namespace

void ComputeEma(std::span<const double> in, int period, std::span<double> out) {
  EmaStep step(period);
  for (size_t t = 0; t < in.size(); ++t) out[t] = step(in[t]);
}

void ComputeEma2(std::span<const double> in, int period_a, std::span<double> out_a, int period_b,
                 std::span<double> out_b) {
  EmaStep a(period_a), b(period_b);
  for (size_t t = 0; t < in.size(); ++t) {
    const double x = in[t];
    out_a[t] = a(x);
    out_b[t] = b(x);
  }
}

void ComputeRsi(std::span<const double> in, int period, std::span<double> out) {
  const size_t n = in.size();
  double avg_gain = 0, avg_loss = 0;
  int changes = 0;
  for (size_t t = 0; t < n; ++t) {
    out[t] = kNan;
    if (t == 0 || std::isnan(in[t]) || std::isnan(in[t - 1])) {
      changes = 0;
      avg_gain = avg_loss = 0;
      continue;
    }
    const double ch = in[t] - in[t - 1];
    const double gain = ch > 0 ? ch : 0, loss = ch < 0 ? -ch : 0;
    if (changes < period) {
      avg_gain += gain;
      avg_loss += loss;
      if (++changes < period) continue;
      avg_gain /= period;
      avg_loss /= period;
    } else {
      avg_gain = (avg_gain * (period - 1) + gain) / period;
      avg_loss = (avg_loss * (period - 1) + loss) / period;
    }
    if (avg_loss == 0) {
      out[t] = avg_gain == 0 ? 50.0 : 100.0;
    } else {
      out[t] = 100.0 - 100.0 / (1.0 + avg_gain / avg_loss);
    }
  }
}

void ComputeAtr(std::span<const double> high, std::span<const double> low,
                std::span<const double> close, int period, std::span<double> out) {
  const size_t n = high.size();
  double atr = 0;
  for (size_t t = 0; t < n; ++t) {
    double tr = high[t] - low[t];
    if (t > 0) {
      tr = std::max({tr, std::fabs(high[t] - close[t - 1]), std::fabs(low[t] - close[t - 1])});
    }
    if (t < static_cast<size_t>(period)) {
      atr += tr;
      if (t + 1 == static_cast<size_t>(period)) {
        atr /= period;
        out[t] = atr;
      } else {
        out[t] = kNan;
      }
      continue;
    }
    atr = (atr * (period - 1) + tr) / period;
    out[t] = atr;
  }
}

}  // namespace s1mple::engine
