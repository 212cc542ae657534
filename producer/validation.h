// Out-of-sample validation folds (optimization_config.validation, docs/PLANS.md "Validation"):
// durations, the fold arithmetic of holdout, walk-forward and combinatorial purged
// cross-validation (CPCV), and the data range the folds are cut from.
//
// The folds are a pure function of the plan's validation section and the data range (the first
// and last traded bar of the base operation: its data inside its environment.period). The
// producer resolves the range when it prepares a sweep and keeps it in the plan summary stored
// with the sweep ("validation": {"data_range": ...}), so resume and `s1mple results` cut the
// same folds from the stored sweep, whatever happened to the data file since.
//
// Every fold is a set of *segments*: windows of whole UTC days [start_day, end_day). Each segment
// is one job per configuration, whose overrides carry the segment as `period` (engine/job.h),
// so the job trades only inside it. Holdout and walk-forward: an in-sample (IS) and an
// out-of-sample (OOS) segment per fold. CPCV: one segment per group; a split's IS is its train
// groups, its OOS its test groups.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engine/calendar.h"
#include "engine/plugin_registry.h"
#include "producer/plan.h"

namespace s1mple::producer {

struct BaseTexts;

// "2y", "6mo", "90d", "3w": a whole number >= 1, then d, w, mo or y. InvalidArgument without a
// path (the loader adds file and YAML path).
[[nodiscard]] Result<Duration> ParseDuration(std::string_view text);
// `day` plus `times` x `d`: days and weeks exactly, months and years as calendar months (a day
// past the new month's end becomes its last day, engine::AddMonths).
engine::DayNumber AddDuration(engine::DayNumber day, const Duration& d, int64_t times = 1);

// The traded bars' span: first and last bar open time (ms since the epoch, UTC).
struct DataRange {
  int64_t first_ms = 0;
  int64_t last_ms = 0;
};

enum class SegmentKind { kInSample, kOutOfSample, kGroup };
const char* SegmentKindName(SegmentKind kind);  // "is" | "oos" | "group"

struct Segment {
  uint32_t fold = 0;  // holdout / walk-forward: the fold; cpcv: the group
  SegmentKind kind = SegmentKind::kInSample;
  engine::DayNumber start_day = 0;  // first day
  engine::DayNumber end_day = 0;    // one past the last day
};

struct Fold {
  uint32_t index = 0;
  engine::DayNumber is_start = 0, is_end = 0;    // [is_start, is_end)
  engine::DayNumber oos_start = 0, oos_end = 0;  // [oos_start, oos_end)
};

// One CPCV split: K test groups, the other N - K train groups, and the train days the embargo
// drops (the `embargo` after the end of each test group that a train group follows).
struct CpcvSplit {
  std::vector<uint32_t> test_groups;
  std::vector<uint32_t> train_groups;
  std::vector<std::pair<engine::DayNumber, engine::DayNumber>> embargoed;  // [from, to)
};

struct FoldSchedule {
  ValidationMode mode = ValidationMode::kNone;
  DataRange range;
  std::vector<Fold> folds;        // holdout: 1; walk-forward: every fold that fits
  std::vector<Segment> segments;  // holdout / walk-forward: IS, OOS per fold; cpcv: the groups
  std::vector<CpcvSplit> splits;  // cpcv: C(N, K), in lexicographic order of the test groups

  // The job period of segment s: {"start": its first day 00:00:00Z, "end": its last day
  // 23:59:59Z} (both inclusive, as engine::PeriodOverride reads them).
  nlohmann::json SegmentPeriod(size_t s) const;
  // The schedule for optimization_result.json and the plan summary: mode, data_range, folds
  // (or groups and splits) with ISO dates.
  nlohmann::ordered_json ToJson() const;
};

// Cuts the folds of `config` from `range`. Folds that do not fit the data are an error naming
// `origin` (the plan file), the YAML path and the data's dates, e.g. "plan.yaml:
// optimization_config.validation.walk_forward: train 2y + test 6mo (912 days) do not fit the
// data (2020-01-01 .. 2022-04-10, 831 days)".
[[nodiscard]] Result<FoldSchedule> MakeSchedule(const ValidationConfig& config,
                                                const DataRange& range, const std::string& origin);

// The data range of a sweep's base: its link's bars (the csv file or the synthetic spec) inside
// its environment.period.
[[nodiscard]] Result<DataRange> BaseDataRange(
    const BaseTexts& base, const engine::PluginRegistry& registry = engine::DefaultRegistry());

// The range as the plan summary keeps it ({"first": ISO, "last": ISO}) and back.
nlohmann::ordered_json DataRangeToJson(const DataRange& range);
[[nodiscard]] Result<DataRange> DataRangeFromJson(const nlohmann::json& j);

// C(n, k) as a double (for counts in messages and checks).
double Binomial(int n, int k);

}  // namespace s1mple::producer
