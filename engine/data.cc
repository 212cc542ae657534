// Bar series, timestamps, the CSV loader and the synthetic generator.
#include "engine/data.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "common/iso_time.h"
#include "engine/calendar.h"

namespace s1mple::engine {

void BarSeries::Reserve(size_t n) {
  ts_ms.reserve(n);
  open.reserve(n);
  high.reserve(n);
  low.reserve(n);
  close.reserve(n);
  volume.reserve(n);
}

void BarSeries::Append(int64_t ts, double o, double h, double l, double c, double v) {
  ts_ms.push_back(ts);
  open.push_back(o);
  high.push_back(h);
  low.push_back(l);
  close.push_back(c);
  volume.push_back(v);
}

namespace {

struct IntervalInfo {
  Interval interval;
  std::string_view name;
  int64_t ms;
};
constexpr std::array<IntervalInfo, 6> kIntervals{{
    {Interval::k1m, "1m", 60'000},
    {Interval::k5m, "5m", 300'000},
    {Interval::k15m, "15m", 900'000},
    {Interval::k1h, "1h", 3'600'000},
    {Interval::k4h, "4h", 14'400'000},
    {Interval::k1d, "1d", 86'400'000},
}};

bool ParseDigits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string_view IntervalName(Interval i) {
  for (const auto& info : kIntervals)
    if (info.interval == i) return info.name;
  return "?";
}

int64_t IntervalMs(Interval i) {
  for (const auto& info : kIntervals)
    if (info.interval == i) return info.ms;
  return 0;
}

std::optional<Interval> ParseInterval(std::string_view name) {
  for (const auto& info : kIntervals)
    if (info.name == name) return info.interval;
  return std::nullopt;
}

std::string DataSpec::CacheKey() const {
  if (source == Source::kCsv) return "csv:" + path.lexically_normal().string();
  return "synthetic:seed=" + std::to_string(seed) + ";bars=" + std::to_string(bars) +
         ";interval=" + std::string(IntervalName(interval)) + ";start=" + std::to_string(start.v);
}

Result<TimestampMs> ParseIsoTimestamp(std::string_view s) {
  auto bad = [&] {
    std::string msg = "'";  // built with += : GCC 12 warns falsely on "'" + std::string(...)
    msg += s;
    msg += "' is not an ISO-8601 date or time";
    return Status::InvalidArgument(std::move(msg));
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!ParseDigits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !ParseDigits(s, 5, 2, mo) ||
      s[7] != '-' || !ParseDigits(s, 8, 2, d))
    return bad();
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return bad();
  // Reject days past the month's end (e.g. 2021-02-30) by round-tripping.
  int64_t days = DayFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  {
    int64_t yy;
    unsigned mm, dd;
    CivilFromDay(days, yy, mm, dd);
    if (yy != y || static_cast<int>(mm) != mo || static_cast<int>(dd) != d) return bad();
  }
  size_t pos = 10;
  int64_t millis = 0;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == ' ')) {
    if (!ParseDigits(s, pos + 1, 2, h) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ParseDigits(s, pos + 4, 2, mi))
      return bad();
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!ParseDigits(s, pos + 1, 2, sec)) return bad();
      pos += 3;
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        int digits = 0;
        int64_t frac = 0;
        while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
          if (digits < 3) frac = frac * 10 + (s[pos] - '0');
          ++digits;
          ++pos;
        }
        if (digits == 0) return bad();
        for (int i = digits; i < 3; ++i) frac *= 10;
        millis = frac;
      }
    }
    if (h > 23 || mi > 59 || sec > 60) return bad();
  }
  int64_t offset_min = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z' && pos + 1 == s.size()) {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh = 0, om = 0;
      int sign = s[pos] == '+' ? 1 : -1;
      if (!ParseDigits(s, pos + 1, 2, oh)) return bad();
      size_t p = pos + 3;
      if (p < s.size() && s[p] == ':') ++p;
      if (!ParseDigits(s, p, 2, om) || p + 2 != s.size()) return bad();
      offset_min = sign * (oh * 60 + om);
      pos = s.size();
    } else {
      return bad();
    }
  }
  int64_t ms = ((days * 24 + h) * 60 + mi) * 60'000 + sec * 1000LL + millis - offset_min * 60'000;
  return TimestampMs{ms};
}

// The project's one ISO-8601 formatter (common/iso_time.h), milliseconds when set.
std::string FormatIsoTimestamp(TimestampMs ts) {
  return FormatIsoTime(ts.v, IsoPrecision::kMillisWhenSet);
}

// ---- CSV -----------------------------------------------------------------------------------

namespace {

Result<int64_t> ParseCsvTimestamp(std::string_view text) {
  bool all_digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
  if (all_digits) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size())
      return Status::InvalidArgument("timestamp '" + std::string(text) + "' is out of range");
    return text.size() >= 12 ? v : v * 1000;
  }
  auto ts = ParseIsoTimestamp(text);
  if (!ts.ok())
    return Status::InvalidArgument("timestamp '" + std::string(text) +
                                   "' is neither ISO-8601 nor epoch seconds/milliseconds");
  return ts->v;
}

bool ParseDouble(std::string_view text, double& out) {
  if (text.empty()) return false;
  if (text.front() == '+') text.remove_prefix(1);
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size() && std::isfinite(out);
}

}  // namespace

Result<std::shared_ptr<const BarSeries>> ParseCsvBars(std::string_view csv,
                                                      std::string_view origin) {
  const std::string where(origin);
  auto err = [&](size_t line, const std::string& msg) {
    return Status::InvalidArgument(where + ":" + std::to_string(line) + ": " + msg);
  };
  auto bars = std::make_shared<BarSeries>();
  bars->Reserve(std::count(csv.begin(), csv.end(), '\n') + 1);

  // Column positions, found from the header.
  enum Field { kTs, kOpen, kHigh, kLow, kClose, kVolume, kFieldCount };
  static constexpr std::array<std::string_view, kFieldCount> kNames{"timestamp", "open",  "high",
                                                                    "low",       "close", "volume"};
  std::array<int, kFieldCount> col;
  col.fill(-1);
  size_t max_col = 0;

  size_t line_no = 0;
  size_t pos = 0;
  bool header_seen = false;
  std::vector<std::string_view> fields;
  while (pos <= csv.size()) {
    size_t eol = csv.find('\n', pos);
    if (eol == std::string_view::npos) eol = csv.size();
    std::string_view line = csv.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty()) {
      if (pos > csv.size()) break;
      continue;
    }
    fields.clear();
    size_t start = 0;
    while (true) {
      size_t comma = line.find(',', start);
      fields.push_back(Trim(line.substr(
          start, comma == std::string_view::npos ? line.size() - start : comma - start)));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (!header_seen) {
      header_seen = true;
      for (size_t i = 0; i < fields.size(); ++i) {
        std::string name = Lower(fields[i]);
        if (name == "time" || name == "date" || name == "datetime") name = "timestamp";
        for (int f = 0; f < kFieldCount; ++f)
          if (name == kNames[f] && col[f] < 0) col[f] = static_cast<int>(i);
      }
      for (int f = 0; f < kFieldCount; ++f) {
        if (col[f] < 0)
          return err(line_no, "header has no '" + std::string(kNames[f]) +
                                  "' column (need timestamp, open, high, low, close, volume)");
        max_col = std::max(max_col, static_cast<size_t>(col[f]));
      }
      continue;
    }
    if (fields.size() <= max_col)
      return err(line_no, "expected at least " + std::to_string(max_col + 1) + " fields, found " +
                              std::to_string(fields.size()));
    std::string_view ts_text = fields[col[kTs]];
    if (ts_text.empty()) return err(line_no, "missing timestamp");
    auto ts = ParseCsvTimestamp(ts_text);
    if (!ts.ok()) return err(line_no, ts.status().message());
    double v[kFieldCount] = {};
    for (int f = kOpen; f < kFieldCount; ++f) {
      std::string_view t = fields[col[f]];
      if (t.empty()) return err(line_no, "missing " + std::string(kNames[f]));
      if (!ParseDouble(t, v[f]))
        return err(line_no, std::string(kNames[f]) + " '" + std::string(t) + "' is not a number");
    }
    for (int f = kOpen; f <= kClose; ++f)
      if (v[f] <= 0)
        return err(line_no, std::string(kNames[f]) + " " + std::string(fields[col[f]]) +
                                " is not a positive price");
    if (v[kHigh] < v[kLow]) return err(line_no, "high is below low");
    if (v[kHigh] < std::max(v[kOpen], v[kClose])) return err(line_no, "high is below open/close");
    if (v[kLow] > std::min(v[kOpen], v[kClose])) return err(line_no, "low is above open/close");
    if (v[kVolume] < 0) return err(line_no, "volume is negative");
    if (!bars->empty()) {
      int64_t prev = bars->ts_ms.back();
      if (*ts == prev)
        return err(line_no, "duplicate timestamp " + FormatIsoTimestamp(TimestampMs{*ts}));
      if (*ts < prev)
        return err(line_no, "timestamp " + FormatIsoTimestamp(TimestampMs{*ts}) +
                                " is earlier than the previous row's " +
                                FormatIsoTimestamp(TimestampMs{prev}) + " (rows must be sorted)");
    }
    bars->Append(*ts, v[kOpen], v[kHigh], v[kLow], v[kClose], v[kVolume]);
  }
  if (!header_seen) return Status::InvalidArgument(where + ": empty file (no header)");
  if (bars->empty()) return Status::InvalidArgument(where + ": no bars after the header");
  return std::shared_ptr<const BarSeries>(std::move(bars));
}

// ---- synthetic -------------------------------------------------------------------------------

namespace {

// Standard normals from a 64-bit Mersenne Twister with the Marsaglia polar method: the same
// sequence on every platform (std::normal_distribution is not portable across libraries).
class NormalSource {
 public:
  explicit NormalSource(uint64_t seed) : rng_(seed) {}
  double Uniform() {  // (0, 1)
    return (static_cast<double>(rng_() >> 11) + 0.5) * (1.0 / 9007199254740992.0);
  }
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * Uniform() - 1.0;
      v = 2.0 * Uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }

 private:
  std::mt19937_64 rng_;
  double spare_ = 0;
  bool has_spare_ = false;
};

struct Regime {
  double drift_per_year;  // log drift
  double vol_per_year;
};
// calm, trending up, trending down, volatile
constexpr std::array<Regime, 4> kRegimes{{{0.0, 0.25}, {0.9, 0.35}, {-0.9, 0.40}, {0.0, 0.90}}};
constexpr double kMeanRegimeBars = 400.0;  // expected regime length

}  // namespace

Result<std::shared_ptr<const BarSeries>> GenerateSyntheticBars(const DataSpec& spec) {
  if (spec.bars < 1 || spec.bars > 50'000'000)
    return Status::InvalidArgument("data.bars: " + std::to_string(spec.bars) +
                                   " is outside 1 .. 50000000");
  const int64_t step = IntervalMs(spec.interval);
  const double dt = static_cast<double>(step) / (365.25 * 86'400'000.0);
  const double sqrt_dt = std::sqrt(dt);
  NormalSource rnd(spec.seed);
  auto bars = std::make_shared<BarSeries>();
  bars->Reserve(static_cast<size_t>(spec.bars));
  size_t regime = 0;
  double price = 100.0;
  for (int64_t i = 0; i < spec.bars; ++i) {
    if (rnd.Uniform() < 1.0 / kMeanRegimeBars) {
      size_t next = static_cast<size_t>(rnd.Uniform() * (kRegimes.size() - 1));
      regime = next >= regime ? next + 1 : next;  // a different regime, uniformly
      if (regime >= kRegimes.size()) regime = kRegimes.size() - 1;
    }
    const Regime& r = kRegimes[regime];
    const double sigma = r.vol_per_year * sqrt_dt;
    const double mu = r.drift_per_year * dt - 0.5 * sigma * sigma;
    const double open = price * std::exp(0.05 * sigma * rnd.Normal());
    const double close = open * std::exp(mu + sigma * rnd.Normal());
    const double high = std::max(open, close) * std::exp(0.5 * sigma * std::fabs(rnd.Normal()));
    const double low = std::min(open, close) * std::exp(-0.5 * sigma * std::fabs(rnd.Normal()));
    const double volume =
        std::round(1000.0 * (r.vol_per_year / 0.25) * std::exp(0.4 * rnd.Normal()));
    bars->Append(spec.start.v + i * step, open, high, low, close, volume);
    price = close;
  }
  return std::shared_ptr<const BarSeries>(std::move(bars));
}

Result<std::shared_ptr<const BarSeries>> LoadData(const DataSpec& spec,
                                                  const LoadOptions& options) {
  if (spec.source == DataSpec::Source::kSynthetic) return GenerateSyntheticBars(spec);
  std::filesystem::path p = spec.path;
  if (p.is_relative() && !options.base_dir.empty()) p = options.base_dir / p;
  std::ifstream in(p, std::ios::binary);
  if (!in) return Status::NotFound(p.string() + ": cannot open data file");
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IOError(p.string() + ": read failed");
  return ParseCsvBars(ss.str(), p.string());
}

}  // namespace s1mple::engine
