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

// The indicator skeleton: an indicator is a step object fed one input value per bar that
// returns the output for that bar (NaN during warm-up; a NaN input restarts it), run over a whole
// column by Fill. EMA and RSI are written this way; ComputeEma2 steps two EMAs in one loop.
namespace {

template <typename Step>
void Fill(std::span<const double> in, Step step, std::span<double> out) {
  for (size_t t = 0; t < in.size(); ++t) out[t] = step(in[t]);
}

// One EMA recurrence (see ComputeEma).
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

// Wilder's RSI on the change from the previous input (see ComputeRsi).
class RsiStep {
 public:
  explicit RsiStep(int period) : period_(period) {}
  double operator()(double x) {
    const double prev = prev_;
    prev_ = x;
    if (std::isnan(x) || std::isnan(prev)) {  // the first value, or a gap: restart
      changes_ = 0;
      avg_gain_ = avg_loss_ = 0;
      return kNan;
    }
    const double ch = x - prev;
    const double gain = ch > 0 ? ch : 0, loss = ch < 0 ? -ch : 0;
    if (changes_ < period_) {
      avg_gain_ += gain;
      avg_loss_ += loss;
      if (++changes_ < period_) return kNan;
      avg_gain_ /= period_;
      avg_loss_ /= period_;
    } else {
      avg_gain_ = (avg_gain_ * (period_ - 1) + gain) / period_;
      avg_loss_ = (avg_loss_ * (period_ - 1) + loss) / period_;
    }
    if (avg_loss_ == 0) return avg_gain_ == 0 ? 50.0 : 100.0;
    return 100.0 - 100.0 / (1.0 + avg_gain_ / avg_loss_);
  }

 private:
  int period_;
  double prev_ = kNan;
  double avg_gain_ = 0, avg_loss_ = 0;
  int changes_ = 0;
};

}  // namespace

void ComputeEma(std::span<const double> in, int period, std::span<double> out) {
  Fill(in, EmaStep(period), out);
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
  Fill(in, RsiStep(period), out);
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
