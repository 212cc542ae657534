#include "metrics/exposition.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace s1mple::metrics {

namespace {

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

const char* TypeName(Type t) {
  switch (t) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// HELP text escapes only backslash and newline.
std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || !(IsAlpha(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAlpha(c) || IsDigit(c) || c == ':'; });
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || !IsAlpha(name[0]) || name.substr(0, 2) == "__") return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return IsAlpha(c) || IsDigit(c); });
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[40];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
  }
  // The shortest form that reads back as the same double (0.0002, not 0.00020000000000000001).
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  bounds_.erase(
      std::remove_if(bounds_.begin(), bounds_.end(), [](double b) { return !std::isfinite(b); }),
      bounds_.end());
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  MutexLock lock(&mu_);
  counts_.assign(bounds_.size() + 1, 0);
}

std::vector<double> Histogram::ExponentialBounds(double start, double factor, int n) {
  std::vector<double> b;
  double v = start;
  for (int i = 0; i < n; ++i, v *= factor) b.push_back(v);
  return b;
}

void Histogram::Observe(double value) {
  // Bucket i holds values in (bounds[i-1], bounds[i]]; the last one everything above.
  const size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  MutexLock lock(&mu_);
  counts_[i]++;
  sum_ += value;
}

HistogramSnapshot Histogram::Snapshot() const {
  HistogramSnapshot s;
  s.bounds = bounds_;
  MutexLock lock(&mu_);
  uint64_t acc = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    acc += counts_[i];
    s.buckets.push_back(acc);
  }
  s.count = acc + counts_.back();
  s.sum = sum_;
  return s;
}

void TextWriter::Family(std::string_view name, Type type, std::string_view help) {
  family_.clear();
  const std::string n(name);
  if (!IsValidMetricName(n)) {
    errors_.push_back("invalid metric name '" + n + "'");
    return;
  }
  if (std::find(seen_.begin(), seen_.end(), n) != seen_.end()) {
    errors_.push_back("metric '" + n + "' written twice");
    return;
  }
  seen_.push_back(n);
  family_ = n;
  out_ += "# HELP " + n + " " + EscapeHelp(help) + "\n";
  out_ += "# TYPE " + n + " " + TypeName(type) + "\n";
}

void TextWriter::Sample(const Labels& labels, double value, std::string_view suffix) {
  if (family_.empty()) return;
  std::string line = family_;
  line += suffix;
  if (!labels.empty()) {
    line += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!IsValidLabelName(k)) {
        errors_.push_back("metric '" + family_ + "': invalid label name '" + k + "'");
        return;
      }
      if (!first) line += ',';
      first = false;
      line += k + "=\"" + EscapeLabelValue(v) + "\"";
    }
    line += '}';
  }
  line += ' ';
  line += FormatValue(value);
  line += '\n';
  out_ += line;
}

void TextWriter::Histogram(const Labels& labels, const HistogramSnapshot& h) {
  Labels with_le = labels;
  with_le.emplace_back("le", "");
  for (size_t i = 0; i < h.bounds.size(); ++i) {
    with_le.back().second = FormatValue(h.bounds[i]);
    Sample(with_le, static_cast<double>(h.buckets[i]), "_bucket");
  }
  with_le.back().second = "+Inf";
  Sample(with_le, static_cast<double>(h.count), "_bucket");
  Sample(labels, h.sum, "_sum");
  Sample(labels, static_cast<double>(h.count), "_count");
}

uint64_t ProcessResidentBytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0;
  uint64_t resident = 0;
  if (!(in >> size >> resident)) return 0;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

namespace {
// Seconds since the epoch when this process started: read once, at first use, from the
// process's own start time in /proc/self/stat (field 22, in clock ticks after boot).
double ProcessStartSeconds() {
  static const double start = [] {
    std::ifstream stat("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const size_t paren = text.rfind(')');  // the command name may hold spaces
    double ticks = -1;
    if (paren != std::string::npos) {
      size_t pos = paren + 2;  // field 3 (state) onwards
      for (int field = 3; field < 22 && pos < text.size(); ++field) {
        pos = text.find(' ', pos);
        if (pos == std::string::npos) break;
        ++pos;
      }
      if (pos != std::string::npos && pos < text.size()) ticks = std::atof(text.c_str() + pos);
    }
    std::ifstream uptime_file("/proc/uptime");
    double uptime = 0;
    uptime_file >> uptime;
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    if (ticks < 0 || uptime <= 0) return now;
    const double boot = now - uptime;
    return boot + ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }();
  return start;
}
}  // namespace

void WriteProcessMetrics(TextWriter& w) {
  w.Family("process_resident_memory_bytes", Type::kGauge, "Resident memory size in bytes.");
  w.Sample({}, static_cast<double>(ProcessResidentBytes()));
  w.Family("process_start_time_seconds", Type::kGauge,
           "Start time of the process since unix epoch in seconds.");
  w.Sample({}, std::floor(ProcessStartSeconds()));
}

}  // namespace s1mple::metrics
