// One job from its texts and overrides (engine/job.h).
#include "engine/job.h"

#include <algorithm>
#include <exception>

#include "engine/overrides.h"

namespace s1mple::engine {

std::string JobResult::FailureReason() const {
  switch (failed_at) {
    case JobStage::kNone:
      return status.ok() ? "" : status.message();
    case JobStage::kConfig:
      return "bad config: " + status.message();
    case JobStage::kBacktest:
      return "backtest failed: " + status.message();
    case JobStage::kEnvironment:
      return "cannot load a plugin package on this machine: " + status.message();
  }
  return status.message();
}

Result<std::optional<Period>> PeriodOverride(const nlohmann::json& overrides) {
  if (!overrides.is_object()) return std::optional<Period>();
  const auto it = overrides.find("period");
  if (it == overrides.end()) return std::optional<Period>();
  if (!it->is_object()) return Status::InvalidArgument("overrides.period: expected {start, end}");
  Period p;
  for (const auto& [key, value] : it->items()) {
    if (key != "start" && key != "end")
      return Status::InvalidArgument("overrides.period." + key + ": unknown key (start, end)");
    if (!value.is_string())
      return Status::InvalidArgument("overrides.period." + key + ": expected an ISO-8601 time");
    auto ts = ParseIsoTimestamp(value.get<std::string>());
    if (!ts.ok()) return ts.status().WithContext("overrides.period." + key);
    (key == "start" ? p.start : p.end) = *ts;
  }
  if (p.start && p.end && *p.end < *p.start)
    return Status::InvalidArgument("overrides.period: end is before start");
  return std::optional<Period>(p);
}

nlohmann::json WithoutPeriod(const nlohmann::json& overrides) {
  if (!overrides.is_object() || !overrides.contains("period")) return overrides;
  nlohmann::json rest = overrides;
  rest.erase("period");
  return rest;
}

nlohmann::json PeriodToJson(const Period& period) {
  nlohmann::json j = nlohmann::json::object();
  if (period.start) j["start"] = FormatIsoTimestamp(*period.start);
  if (period.end) j["end"] = FormatIsoTimestamp(*period.end);
  return j;
}

JobRunner::JobRunner(JobRunnerOptions options)
    : options_(std::move(options)), cache_(options_.column_cache_mib << 20) {}

Result<std::shared_ptr<const BarSeries>> JobRunner::Bars(const DataSpec& spec, const JobSpec& job,
                                                         std::optional<TimestampMs> end,
                                                         std::string* key_out) {
  const bool csv = spec.source == DataSpec::Source::kCsv;
  if (csv && !job.csv && !options_.read_data_files)
    return Status::InvalidArgument(std::string(job.origin) + ": csv data but no data artifact");
  const std::string key = csv && job.csv ? std::string(job.csv_key) : spec.CacheKey();
  if (key_out) *key_out = key;
  if (end) {
    const std::string prefix_key = key + "|until=" + std::to_string(end->v);
    if (auto hit = bars_.find(prefix_key); hit != bars_.end()) return hit->second;
    auto all = Bars(spec, job);
    if (!all.ok()) return all.status();
    const BarSeries& b = **all;
    const size_t n = static_cast<size_t>(std::upper_bound(b.ts_ms.begin(), b.ts_ms.end(), end->v) -
                                         b.ts_ms.begin());
    if (n == b.size()) {
      bars_.emplace(prefix_key, *all);
      return *all;
    }
    auto cut = std::make_shared<BarSeries>();
    cut->Reserve(n);
    for (size_t i = 0; i < n; ++i)
      cut->Append(b.ts_ms[i], b.open[i], b.high[i], b.low[i], b.close[i], b.volume[i]);
    std::shared_ptr<const BarSeries> shared = std::move(cut);
    bars_.emplace(prefix_key, shared);
    return shared;
  }
  if (auto hit = bars_.find(key); hit != bars_.end()) return hit->second;
  auto bars =
      csv && job.csv ? ParseCsvBars(*job.csv, std::string(job.origin) + " data") : LoadData(spec);
  if (!bars.ok()) return bars.status();
  bars_.emplace(key, *bars);
  return *bars;
}

JobResult JobRunner::Run(const JobSpec& job) {
  JobResult out;
  auto fail = [&](JobStage stage, Status status) {
    out.failed_at = stage;
    out.status = std::move(status);
    return out;
  };
  const std::string origin(job.origin);
  try {
    const nlohmann::json none = nlohmann::json::object();
    const nlohmann::json& overrides = job.overrides ? *job.overrides : none;
    auto period = PeriodOverride(overrides);
    if (!period.ok()) return fail(JobStage::kConfig, period.status().WithContext(origin));
    auto texts = ApplyOverrides({std::string(job.blueprint_yaml), std::string(job.operators_yaml)},
                                *period ? WithoutPeriod(overrides) : overrides);
    if (!texts.ok()) return fail(JobStage::kConfig, texts.status().WithContext(origin));
    const PluginRegistry& registry =
        options_.run.registry ? *options_.run.registry : DefaultRegistry();
    auto config = ParseOperationTexts(job.operation_yaml, texts->blueprint_yaml,
                                      texts->operators_yaml, origin, registry, job.packages);
    if (!config.ok())
      return fail(
          config.status().IsFailedPrecondition() ? JobStage::kEnvironment : JobStage::kConfig,
          config.status());
    if (config->links.size() != 1)
      return fail(JobStage::kConfig,
                  Status::InvalidArgument(origin + ": expected one strategy link"));
    StrategyLink& link = config->links[0];
    if (*period) link.environment.period = **period;
    std::string data_key;
    auto bars = Bars(link.environment.data, job,
                     *period ? (*period)->end : std::optional<TimestampMs>(), &data_key);
    if (!bars.ok()) return fail(JobStage::kConfig, bars.status());
    RunOptions run = options_.run;
    if (options_.column_cache_mib > 0 && !data_key.empty()) {
      // The bars: the whole series' key and how many of its bars (a period override's prefix,
      // or all), and every package file (its verified copy's path holds its hash).
      run.column_cache = &cache_;
      run.column_cache_key = data_key + "|n=" + std::to_string((*bars)->size()) + "|";
      if (job.packages)
        for (const auto& [name, path] : *job.packages)
          run.column_cache_key += name + "=" + path.string() + ";";
      run.column_cache_key += "|";
    }
    auto result = RunBacktest(link, **bars, run);
    if (!result.ok()) return fail(JobStage::kBacktest, result.status());
    out.result = ToJson(*result, options_.json);
  } catch (const std::exception& e) {
    return fail(JobStage::kBacktest, Status::Internal(origin + ": " + e.what()));
  }
  return out;
}

}  // namespace s1mple::engine
