#include "runner/backtest/backtest_executor.h"

#include <nlohmann/json.hpp>

#include "engine/data.h"
#include "engine/operation.h"
#include "engine/overrides.h"
#include "engine/result.h"

namespace s1mple::runner {
namespace {

namespace eng = s1mple::engine;

JobOutput Deterministic(std::string reason) {
  JobOutput out;
  out.error = std::move(reason);
  out.retryable = false;
  return out;
}

class BacktestExecutor final : public JobExecutor {
 public:
  explicit BacktestExecutor(BacktestExecutorOptions options) : options_(options) {}

  JobOutput Execute(const JobInput& job, const ArtifactLookup& artifacts) override {
    std::string origin = "job " + job.sweep + "/" + std::to_string(job.index);
    auto text = [&](const std::string& role) -> const std::string* {
      auto it = job.artifacts.find(role);
      return it == job.artifacts.end() ? nullptr : artifacts(it->second);
    };
    const std::string* operation = text("operation");
    const std::string* blueprint = text("blueprint");
    const std::string* operators = text("operators");
    if (!operation || !blueprint)
      return Deterministic("bad config: " + origin +
                           ": the sweep has no operation or blueprint artifact");
    nlohmann::json overrides = nlohmann::json::parse(job.overrides, nullptr, false);
    if (overrides.is_discarded() || !overrides.is_object()) {
      return Deterministic("bad config: " + origin + ": overrides are not a JSON object");
    }
    auto texts =
        eng::ApplyOverrides({*blueprint, operators ? *operators : std::string()}, overrides);
    if (!texts.ok())
      return Deterministic("bad config: " + origin + ": " + texts.status().message());
    auto config =
        eng::ParseOperationTexts(*operation, texts->blueprint_yaml, texts->operators_yaml, origin);
    if (!config.ok()) return Deterministic("bad config: " + config.status().message());
    if (config->links.size() != 1)
      return Deterministic("bad config: " + origin + ": expected one strategy link");
    const eng::StrategyLink& link = config->links[0];
    auto bars = Bars(link.environment.data, job, text("data"), origin);
    if (!bars.ok()) return Deterministic("bad config: " + bars.status().message());
    auto result = eng::RunBacktest(link, **bars);
    if (!result.ok()) return Deterministic("backtest failed: " + result.status().message());
    eng::JsonOptions jo;
    jo.max_equity_points = options_.max_equity_points;
    jo.include_trades = options_.include_trades;
    jo.max_trades = options_.max_trades;
    JobOutput out;
    out.ok = true;
    out.result = eng::ToJson(*result, jo).dump();
    return out;
  }

 private:
  // The bars of `spec`, parsed or generated once per worker process.
  Result<std::shared_ptr<const eng::BarSeries>> Bars(const eng::DataSpec& spec, const JobInput& job,
                                                     const std::string* csv,
                                                     const std::string& origin) {
    std::string key;
    if (spec.source == eng::DataSpec::Source::kCsv) {
      auto it = job.artifacts.find("data");
      if (it == job.artifacts.end() || !csv)
        return Status::InvalidArgument(origin + ": csv data but no data artifact");
      key = "csv-sha256:" + it->second;
    } else {
      key = spec.CacheKey();
    }
    auto hit = cache_.find(key);
    if (hit != cache_.end()) return hit->second;
    auto bars = spec.source == eng::DataSpec::Source::kCsv
                    ? eng::ParseCsvBars(*csv, origin + " data")
                    : eng::GenerateSyntheticBars(spec);
    if (!bars.ok()) return bars.status();
    cache_[key] = *bars;
    return *bars;
  }

  BacktestExecutorOptions options_;
  std::map<std::string, std::shared_ptr<const eng::BarSeries>> cache_;
};

}  // namespace

std::unique_ptr<JobExecutor> MakeBacktestExecutor(BacktestExecutorOptions options) {
  return std::make_unique<BacktestExecutor>(options);
}

}  // namespace s1mple::runner
