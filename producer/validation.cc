#include "producer/validation.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "engine/data.h"
#include "engine/job.h"
#include "engine/operation.h"
#include "producer/plan_check.h"

namespace s1mple::producer {

using engine::DayNumber;
using ojson = nlohmann::ordered_json;

namespace {

constexpr size_t kMaxFolds = 1000;

std::string DaysText(DayNumber first, DayNumber end) {
  return engine::FormatIsoDate(first) + " .. " + engine::FormatIsoDate(end - 1) + ", " +
         std::to_string(end - first) + " days";
}

}  // namespace

const char* ValidationModeName(ValidationMode mode) {
  switch (mode) {
    case ValidationMode::kHoldout:
      return "holdout";
    case ValidationMode::kWalkForward:
      return "walk_forward";
    case ValidationMode::kCpcv:
      return "cpcv";
    case ValidationMode::kNone:
      break;
  }
  return "none";
}

const char* SegmentKindName(SegmentKind kind) {
  switch (kind) {
    case SegmentKind::kInSample:
      return "is";
    case SegmentKind::kOutOfSample:
      return "oos";
    case SegmentKind::kGroup:
      break;
  }
  return "group";
}

Result<Duration> ParseDuration(std::string_view text) {
  auto bad = [&] {
    // (appended in steps: GCC 12's -Wrestrict misfires on "'" + std::string at -O3)
    std::string msg(1, '\'');
    msg.append(text).append(
        "' is not a duration (a whole number >= 1 followed by d, w, mo or y, e.g. 90d, 6mo, 2y)");
    return Status::InvalidArgument(msg);
  };
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 6) return bad();
  Duration d;
  d.text = std::string(text);
  for (size_t i = 0; i < digits; ++i) d.count = d.count * 10 + (text[i] - '0');
  const std::string_view unit = text.substr(digits);
  if (unit == "d") {
    d.unit = Duration::Unit::kDay;
  } else if (unit == "w") {
    d.unit = Duration::Unit::kWeek;
  } else if (unit == "mo") {
    d.unit = Duration::Unit::kMonth;
  } else if (unit == "y") {
    d.unit = Duration::Unit::kYear;
  } else {
    return bad();
  }
  if (d.count < 1) return bad();
  return d;
}

DayNumber AddDuration(DayNumber day, const Duration& d, int64_t times) {
  const int64_t n = d.count * times;
  switch (d.unit) {
    case Duration::Unit::kDay:
      return day + n;
    case Duration::Unit::kWeek:
      return day + 7 * n;
    case Duration::Unit::kMonth:
      return engine::AddMonths(day, n);
    case Duration::Unit::kYear:
      return engine::AddMonths(day, 12 * n);
  }
  return day;
}

double Binomial(int n, int k) {
  if (k < 0 || k > n) return 0;
  double c = 1;
  for (int i = 1; i <= k; ++i) c = c * (n - k + i) / i;
  return std::round(c);
}

ojson DataRangeToJson(const DataRange& range) {
  return {{"first", engine::FormatIsoTimestamp(engine::TimestampMs{range.first_ms})},
          {"last", engine::FormatIsoTimestamp(engine::TimestampMs{range.last_ms})}};
}

Result<DataRange> DataRangeFromJson(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("first") || !j.contains("last") || !j["first"].is_string() ||
      !j["last"].is_string())
    return Status::InvalidArgument("validation.data_range: expected {first, last}");
  auto first = engine::ParseIsoTimestamp(j["first"].get<std::string>());
  if (!first.ok()) return first.status().WithContext("validation.data_range.first");
  auto last = engine::ParseIsoTimestamp(j["last"].get<std::string>());
  if (!last.ok()) return last.status().WithContext("validation.data_range.last");
  return DataRange{first->v, last->v};
}

nlohmann::json FoldSchedule::SegmentPeriod(size_t s) const {
  const Segment& seg = segments[s];
  engine::Period p;
  p.start = engine::TimestampMs{engine::DayStartMs(seg.start_day)};
  p.end = engine::TimestampMs{engine::DayStartMs(seg.end_day) - 1000};
  return engine::PeriodToJson(p);
}

ojson FoldSchedule::ToJson() const {
  ojson j;
  j["mode"] = ValidationModeName(mode);
  j["data_range"] = DataRangeToJson(range);
  auto window = [](DayNumber from, DayNumber to) {
    return ojson{{"start", engine::FormatIsoDate(from)},
                 {"end", engine::FormatIsoDate(to - 1)},
                 {"days", to - from}};
  };
  if (mode == ValidationMode::kCpcv) {
    ojson groups = ojson::array();
    for (const auto& s : segments) {
      ojson g = window(s.start_day, s.end_day);
      g["group"] = s.fold;
      groups.push_back(std::move(g));
    }
    j["groups"] = std::move(groups);
    j["splits"] = splits.size();
    return j;
  }
  ojson folds_json = ojson::array();
  for (const auto& f : folds) {
    folds_json.push_back({{"fold", f.index},
                          {"in_sample", window(f.is_start, f.is_end)},
                          {"out_of_sample", window(f.oos_start, f.oos_end)}});
  }
  j["folds"] = std::move(folds_json);
  return j;
}

Result<FoldSchedule> MakeSchedule(const ValidationConfig& config, const DataRange& range,
                                  const std::string& origin) {
  FoldSchedule s;
  s.mode = config.mode;
  s.range = range;
  const DayNumber first = engine::DayOfTimestamp(range.first_ms);
  const DayNumber end = engine::DayOfTimestamp(range.last_ms) + 1;
  const std::string data = "the data (" + DaysText(first, end) + ")";
  auto error = [&](const std::string& path, const std::string& what) {
    return Status::InvalidArgument(origin + ": " + config.yaml_path + path + ": " + what);
  };
  auto add_fold = [&](DayNumber is_start, DayNumber is_end, DayNumber oos_start,
                      DayNumber oos_end) {
    const auto index = static_cast<uint32_t>(s.folds.size());
    s.folds.push_back({index, is_start, is_end, oos_start, oos_end});
    s.segments.push_back({index, SegmentKind::kInSample, is_start, is_end});
    s.segments.push_back({index, SegmentKind::kOutOfSample, oos_start, oos_end});
  };
  switch (config.mode) {
    case ValidationMode::kNone:
      return s;
    case ValidationMode::kHoldout: {
      DayNumber split = 0;
      if (config.split_day) {
        split = *config.split_day;
        if (split <= first || split >= end)
          return error(".holdout.split", engine::FormatIsoDate(split) + " is not inside " + data +
                                             ": both sides need at least one day");
      } else {
        split = first + static_cast<DayNumber>(
                            std::llround(config.fraction * static_cast<double>(end - first)));
        if (split <= first || split >= end)
          return error(".holdout.fraction", "leaves no day on one side of the split of " + data);
      }
      add_fold(first, split, split, end);
      return s;
    }
    case ValidationMode::kWalkForward: {
      for (int64_t k = 0;; ++k) {
        DayNumber is_start = first, is_end = 0;
        if (config.anchored) {
          is_end = AddDuration(AddDuration(first, config.train), config.step, k);
        } else {
          is_start = AddDuration(first, config.step, k);
          is_end = AddDuration(is_start, config.train);
        }
        const DayNumber oos_end = AddDuration(is_end, config.test);
        if (oos_end > end) break;
        if (s.folds.size() == kMaxFolds)
          return error(".walk_forward.step",
                       "gives more than " + std::to_string(kMaxFolds) + " folds on " + data);
        add_fold(is_start, is_end, is_end, oos_end);
      }
      if (s.folds.empty()) {
        const DayNumber need = AddDuration(AddDuration(first, config.train), config.test) - first;
        return error(".walk_forward", "train " + config.train.text + " + test " + config.test.text +
                                          " (" + std::to_string(need) + " days) do not fit " +
                                          data);
      }
      return s;
    }
    case ValidationMode::kCpcv: {
      const int64_t days = end - first;
      const int n = config.groups;
      const int k = config.test_groups;
      if (days < 2 * static_cast<int64_t>(n))
        return error(".cpcv.groups", std::to_string(n) + " groups of at least 2 days need " +
                                         std::to_string(2 * n) + " days; " + data);
      for (int g = 0; g < n; ++g) {
        s.segments.push_back({static_cast<uint32_t>(g), SegmentKind::kGroup, first + g * days / n,
                              first + (g + 1) * days / n});
      }
      const int64_t shortest = days / n;
      if (config.embargo.count > 0 && AddDuration(0, config.embargo) >= shortest)
        return error(".cpcv.embargo", config.embargo.text + " is not shorter than a group (" +
                                          std::to_string(shortest) + " days of " + data + ")");
      // Every K-subset of the groups, lexicographic.
      std::vector<uint32_t> pick(static_cast<size_t>(k));
      for (int i = 0; i < k; ++i) pick[static_cast<size_t>(i)] = static_cast<uint32_t>(i);
      while (true) {
        CpcvSplit split;
        split.test_groups = pick;
        for (uint32_t g = 0; g < static_cast<uint32_t>(n); ++g)
          if (!std::binary_search(pick.begin(), pick.end(), g)) split.train_groups.push_back(g);
        if (config.embargo.count > 0) {
          for (uint32_t t : pick) {
            const uint32_t next = t + 1;
            if (next >= static_cast<uint32_t>(n) ||
                std::binary_search(pick.begin(), pick.end(), next))
              continue;  // the test set ends the data or runs on into another test group
            const DayNumber from = s.segments[next].start_day;
            split.embargoed.emplace_back(from, AddDuration(from, config.embargo));
          }
        }
        s.splits.push_back(std::move(split));
        int i = k - 1;
        while (i >= 0 && pick[static_cast<size_t>(i)] == static_cast<uint32_t>(n - k + i)) --i;
        if (i < 0) break;
        ++pick[static_cast<size_t>(i)];
        for (int j = i + 1; j < k; ++j)
          pick[static_cast<size_t>(j)] = pick[static_cast<size_t>(j - 1)] + 1;
      }
      return s;
    }
  }
  return s;
}

Result<DataRange> BaseDataRange(const BaseTexts& base, const engine::PluginRegistry& registry) {
  auto op = engine::LoadOperationFile(base.operation_path, registry);
  if (!op.ok()) return op.status();
  if (op->links.empty()) return Status::InvalidArgument("the base operation has no link");
  const engine::Environment& env = op->links[0].environment;
  engine::DataSpec spec = env.data;
  if (spec.source == engine::DataSpec::Source::kCsv && !base.data_path.empty())
    spec.path = base.data_path;
  auto bars = engine::LoadData(spec);
  if (!bars.ok()) return bars.status();
  const auto& ts = (*bars)->ts_ms;
  auto lo = ts.begin();
  auto hi = ts.end();
  if (env.period.start) lo = std::lower_bound(ts.begin(), ts.end(), env.period.start->v);
  if (env.period.end) hi = std::upper_bound(ts.begin(), ts.end(), env.period.end->v);
  if (lo >= hi) return Status::InvalidArgument("the base operation's period selects no bars");
  return DataRange{*lo, *(hi - 1)};
}

}  // namespace s1mple::producer
