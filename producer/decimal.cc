#include "producer/decimal.h"

#include <cstdlib>
#include <limits>

namespace s1mple::producer {
namespace {

constexpr int64_t kMaxUnits = 1'000'000'000'000'000;  // 10^15
constexpr uint64_t kMaxRangeValues = 1'000'000'000;

int64_t Pow10(int n) {
  int64_t p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

}  // namespace

Result<Decimal> Decimal::Parse(std::string_view text) {
  const std::string s(text);
  auto bad = [&] { return Status::InvalidArgument("'" + s + "' is not a number"); };
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  int64_t units = 0;
  int scale = 0;
  bool digits = false;
  bool in_fraction = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.' && !in_fraction) {
      in_fraction = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    digits = true;
    if (units > kMaxUnits) return Status::InvalidArgument("'" + s + "' is too large");
    units = units * 10 + (c - '0');
    if (in_fraction) ++scale;
  }
  if (!digits) return bad();
  if (i < s.size()) {  // exponent
    if (s[i] != 'e' && s[i] != 'E') return bad();
    char* end = nullptr;
    long exp = std::strtol(s.c_str() + i + 1, &end, 10);
    if (end != s.c_str() + s.size() || end == s.c_str() + i + 1) return bad();
    if (exp < -20 || exp > 15) return Status::InvalidArgument("'" + s + "' is out of range");
    scale -= static_cast<int>(exp);
    while (scale < 0) {
      if (units > kMaxUnits) return Status::InvalidArgument("'" + s + "' is too large");
      units *= 10;
      ++scale;
    }
  }
  // Drop trailing fractional zeros beyond what is needed? No: "2.0" keeps scale 1 so that a
  // range written with decimals yields doubles. Only refuse what cannot be held exactly.
  while (scale > kMaxScale && units % 10 == 0) {
    units /= 10;
    --scale;
  }
  if (scale > kMaxScale) {
    return Status::InvalidArgument("'" + s + "' has more than 9 decimals");
  }
  if (units > kMaxUnits) return Status::InvalidArgument("'" + s + "' is too large");
  return Decimal(negative ? -units : units, scale);
}

int64_t Decimal::UnitsAt(int scale) const {
  return units_ * Pow10(scale - scale_);
}

int Decimal::Compare(const Decimal& other) const {
  int s = std::max(scale_, other.scale_);
  int64_t a = UnitsAt(s);
  int64_t b = other.UnitsAt(s);
  return a < b ? -1 : (a > b ? 1 : 0);
}

std::string Decimal::ToString() const {
  const int64_t u = units_ < 0 ? -units_ : units_;
  const int64_t p = Pow10(scale_);
  std::string out = units_ < 0 ? "-" : "";
  out += std::to_string(u / p);
  if (scale_ > 0 && u % p != 0) {
    std::string frac = std::to_string(u % p);
    std::string padded(static_cast<size_t>(scale_) - frac.size(), '0');
    padded += frac;
    while (!padded.empty() && padded.back() == '0') padded.pop_back();
    out += ".";
    out += padded;
  }
  return out;
}

nlohmann::json Decimal::ToJson() const {
  if (scale_ == 0) return units_;
  return std::strtod(ToString().c_str(), nullptr);
}

Result<DecimalRange> DecimalRange::Make(const Decimal& start, const Decimal& end,
                                        const Decimal& step) {
  if (step.is_zero()) return Status::InvalidArgument("step is 0: the range would never end");
  if (step.is_negative()) {
    return Status::InvalidArgument("step " + step.ToString() +
                                   " is negative (write start <= end "
                                   "and a positive step)");
  }
  if (end < start) {
    return Status::InvalidArgument("end " + end.ToString() + " is below start " + start.ToString());
  }
  DecimalRange r;
  r.scale_ = std::max({start.scale(), step.scale(), end.scale()});
  r.start_units_ = start.UnitsAt(r.scale_);
  r.step_units_ = step.UnitsAt(r.scale_);
  const int64_t span = end.UnitsAt(r.scale_) - r.start_units_;
  const uint64_t count = static_cast<uint64_t>(span / r.step_units_) + 1;
  if (count > kMaxRangeValues) {
    return Status::InvalidArgument("the range has " + std::to_string(count) +
                                   " values (more than 10^9)");
  }
  r.count_ = count;
  r.integral_ = start.is_integer() && step.is_integer();
  // Values are printed at the scale of start and step (end's extra decimals do not matter).
  r.scale_ = std::max(start.scale(), step.scale());
  r.start_units_ = start.UnitsAt(r.scale_);
  r.step_units_ = step.UnitsAt(r.scale_);
  return r;
}

Decimal DecimalRange::At(uint64_t i) const {
  return Decimal(start_units_ + static_cast<int64_t>(i) * step_units_, integral_ ? 0 : scale_);
}

}  // namespace s1mple::producer
