// Exact decimal numbers for sweep ranges: "start: 0.5, end: 2.0, step: 0.25" yields exactly
// 0.5, 0.75, ..., 2.0 (7 values), never 1.9999999 or a missing end point.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace s1mple::producer {

// A value units * 10^-scale, with up to 9 decimals and |units| < 10^15: enough for any
// parameter a plan sweeps, and exact.
class Decimal {
 public:
  Decimal() = default;

  // Parses the YAML text of a number: "3", "-1.25", "2.0", "1e-3" (exponent forms are
  // accepted when the result has at most 9 decimals). Fails on anything else.
  static Result<Decimal> Parse(std::string_view text);

  int64_t units() const { return units_; }
  int scale() const { return scale_; }
  bool is_integer() const { return scale_ == 0; }  // "3" (not "3.0")
  bool is_zero() const { return units_ == 0; }
  bool is_negative() const { return units_ < 0; }

  // This value expressed with `scale` decimals (scale >= this->scale()).
  int64_t UnitsAt(int scale) const;

  // The shortest decimal text: 0.5, 0.75, 2, -1.25 (trailing zeros dropped).
  std::string ToString() const;
  // An integer JSON number when is_integer(), else the double nearest to the decimal.
  nlohmann::json ToJson() const;

  friend bool operator==(const Decimal& a, const Decimal& b) { return a.Compare(b) == 0; }
  friend bool operator<(const Decimal& a, const Decimal& b) { return a.Compare(b) < 0; }
  int Compare(const Decimal& other) const;

  static constexpr int kMaxScale = 9;

 private:
  Decimal(int64_t units, int scale) : units_(units), scale_(scale) {}
  friend class DecimalRange;
  int64_t units_ = 0;
  int scale_ = 0;
};

// The inclusive arithmetic range start, start+step, ... <= end, value i computed as
// start + i*step in exact decimal arithmetic (no accumulated drift).
class DecimalRange {
 public:
  // Fails (naming what) on step <= 0, end < start, or more than 10^9 values.
  static Result<DecimalRange> Make(const Decimal& start, const Decimal& end, const Decimal& step);

  uint64_t size() const { return count_; }
  Decimal At(uint64_t i) const;
  // Integer JSON numbers when start and step are integers, else doubles.
  nlohmann::json JsonAt(uint64_t i) const { return At(i).ToJson(); }

 private:
  int scale_ = 0;  // common scale of start and step
  int64_t start_units_ = 0;
  int64_t step_units_ = 0;
  uint64_t count_ = 0;
  bool integral_ = true;  // start and step written as integers
};

}  // namespace s1mple::producer
