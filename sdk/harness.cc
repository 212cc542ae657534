// The plugin test harness (s1mple/harness.h): hand-made bars, and a package's plugins run
// through RunBacktest.
#include "s1mple/harness.h"

#include <algorithm>
#include <cmath>

#include "engine/operation.h"
#include "engine/plugin_package.h"

namespace s1mple::sdk {

namespace eng = s1mple::engine;

BarsBuilder::BarsBuilder(std::string_view start, eng::Interval interval)
    : start_(start), interval_(interval) {}

BarsBuilder& BarsBuilder::Bar(double open, double high, double low, double close, double volume) {
  bars_.Append(static_cast<int64_t>(bars_.size()), open, high, low, close, volume);
  return *this;
}

BarsBuilder& BarsBuilder::Close(double close, double volume) {
  const double open = bars_.empty() ? close : bars_.close.back();
  return Bar(open, std::max(open, close), std::min(open, close), close, volume);
}

BarsBuilder& BarsBuilder::Closes(const std::vector<double>& closes) {
  for (double c : closes) Close(c);
  return *this;
}

Result<std::shared_ptr<const eng::BarSeries>> BarsBuilder::Build() const {
  auto t0 = eng::ParseIsoTimestamp(start_);
  if (!t0.ok()) return Status::InvalidArgument("BarsBuilder start: " + t0.status().message());
  if (bars_.empty()) return Status::InvalidArgument("BarsBuilder: no bars");
  auto out = std::make_shared<eng::BarSeries>();
  out->Reserve(bars_.size());
  const int64_t step = eng::IntervalMs(interval_);
  for (size_t i = 0; i < bars_.size(); ++i) {
    const double o = bars_.open[i], h = bars_.high[i], l = bars_.low[i], c = bars_.close[i],
                 v = bars_.volume[i];
    const std::string at = "BarsBuilder: bar " + std::to_string(i) + ": ";
    if (!(o > 0 && h > 0 && l > 0 && c > 0))
      return Status::InvalidArgument(at + "prices must be positive");
    if (!(h >= std::max(o, c) && l <= std::min(o, c) && h >= l))
      return Status::InvalidArgument(at +
                                     "high must be >= open, close, low and low <= open, close");
    if (!(v >= 0)) return Status::InvalidArgument(at + "volume must be >= 0");
    out->Append(t0->v + static_cast<int64_t>(i) * step, o, h, l, c, v);
  }
  return std::shared_ptr<const eng::BarSeries>(std::move(out));
}

Result<Harness> Harness::Load(const std::filesystem::path& package) {
  eng::PackageRef ref;
  ref.name = package.filename().string();
  ref.path = package;
  ref.named_by = "harness";
  const std::vector<eng::PackageRef> refs{ref};
  auto registry = eng::RegistryWithPackages(eng::DefaultRegistry(), refs);
  if (!registry.ok()) return registry.status();
  return Harness(*registry);
}

Harness Harness::Builtins() {
  return Harness(
      std::shared_ptr<const eng::PluginRegistry>(std::shared_ptr<void>(), &eng::DefaultRegistry()));
}

const eng::PluginManifest* Harness::Manifest(std::string_view plugin) const {
  return registry_->Find(plugin);
}

Result<eng::BacktestResult> Harness::Backtest(std::string_view blueprint_yaml,
                                              const eng::BarSeries& bars,
                                              const HarnessEnvironment& env) const {
  auto bp = eng::ParseBlueprintText(blueprint_yaml, "harness blueprint", *registry_);
  if (!bp.ok()) return bp.status();
  eng::StrategyLink link;
  link.blueprint = std::move(bp).value();
  link.name = link.blueprint.name.empty() ? "harness" : link.blueprint.name;
  link.registry = registry_;
  link.environment.initial_capital = env.initial_capital;
  link.environment.fees_bps = env.fees_bps;
  link.environment.slippage_bps = env.slippage_bps;
  link.environment.periods_per_year = env.periods_per_year;
  eng::RunOptions options;
  options.capture_context = true;
  return eng::RunBacktest(link, bars, options);
}

namespace {
std::string Entry(std::string_view plugin, std::string_view params) {
  std::string s = "  - plugin: " + std::string(plugin) + "\n";
  if (!params.empty()) s += "    params: " + std::string(params) + "\n";
  return s;
}
}  // namespace

Result<std::map<std::string, std::vector<double>>> Harness::Columns(
    std::string_view plugin, std::string_view params_yaml, const eng::BarSeries& bars) const {
  auto r = Backtest("context_workers:\n" + Entry(plugin, params_yaml), bars);
  if (!r.ok()) return r.status();
  std::map<std::string, std::vector<double>> out;
  for (size_t i = eng::kBarColumnCount; i < r->context_names.size(); ++i)
    out[r->context_names[i]] = r->context_columns[i];
  return out;
}

Result<std::vector<eng::OpportunityRecord>> Harness::Opportunities(
    std::string_view plugin, std::string_view params_yaml, const eng::BarSeries& bars,
    std::string_view context_yaml) const {
  std::string bp;
  if (!context_yaml.empty()) bp += "context_workers: " + std::string(context_yaml) + "\n";
  bp += "opportunity_workers:\n" + Entry(plugin, params_yaml);
  auto r = Backtest(bp, bars);
  if (!r.ok()) return r.status();
  return r->opportunities;
}

}  // namespace s1mple::sdk
