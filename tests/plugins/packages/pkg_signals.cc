// A test package: pkg_cross, the built-in trend_follower's EMA crossover written against the SDK
// alone (so a blueprint using it must give bit-identical results to one using trend_follower),
// and pkg_close_gap, a context worker publishing a column of its own. With -DTEST_CLASH it also
// registers `ema` (a built-in's name); with -DTEST_BAD_MANIFEST a param whose default is out of
// its bounds.
#include "packages/stamps.h"

#include <cmath>
#include <cstdint>
#include <string>

#include <s1mple/plugin.h>

using namespace s1mple::engine;

namespace {

class PkgCross final : public OpportunityWorker {
 public:
  explicit PkgCross(const ParamSet& p)
      : spread_(static_cast<int>(p.GetInt("fast_period")),
                static_cast<int>(p.GetInt("slow_period"))),
        longs_(p.GetString("direction") != "short_only"),
        shorts_(p.GetString("direction") != "long_only") {}

 protected:
  s1mple::Status OnBind(BindContext& ctx) override { return spread_.Bind(ctx); }

  void OnDetect(const BarContext& bar, OpportunitySink& out) override {
    const uint32_t t = bar.bar;
    if (t == 0) return;
    const double now = spread_.Now(t), before = spread_.Before(t);
    const bool up = longs_ && before <= 0 && now > 0;
    const bool down = shorts_ && before >= 0 && now < 0;
    if (!up && !down) return;
    const double close = bar.Close();
    const double score = std::fabs(now) / close * 100.0;
    if (up) out.Emit(Side::kLong, score, "EMA_CROSS_UP", Price{close});
    if (down) out.Emit(Side::kShort, score, "EMA_CROSS_DOWN", Price{close});
  }

 private:
  plugin::EmaSpread spread_;
  bool longs_, shorts_;
};

// close - open of each bar, as the column "close_gap".
class PkgCloseGap final : public ContextWorker {
 public:
  explicit PkgCloseGap(const ParamSet&) {}

 protected:
  s1mple::Status OnCompute(ContextFrame& frame) override {
    auto id = frame.AddColumn("close_gap");
    if (!id.ok()) return id.status();
    auto out = frame.MutableColumn(*id);
    auto open = frame.Column(kOpenColumn);
    auto close = frame.Column(kCloseColumn);
    for (size_t t = 0; t < out.size(); ++t) out[t] = close[t] - open[t];
    return s1mple::Status::Ok();
  }
};

// trend_follower's rule on any column: long when `column` crosses above 0, short when below,
// score |value| / close x 100 (on the spread fast EMA - slow EMA it is trend_follower).
class PkgColumnCross final : public OpportunityWorker {
 public:
  explicit PkgColumnCross(const ParamSet& p) : column_(p.GetString("column")) {}

 protected:
  s1mple::Status OnBind(BindContext& ctx) override {
    auto id = ctx.ResolveSource(column_);
    if (!id.ok()) return id.status();
    x_ = ctx.frame.Data(*id);
    return s1mple::Status::Ok();
  }

  void OnDetect(const BarContext& bar, OpportunitySink& out) override {
    const uint32_t t = bar.bar;
    if (t == 0) return;
    const double now = x_[t], before = x_[t - 1];
    const double close = bar.Close();
    if (before <= 0 && now > 0)
      out.Emit(Side::kLong, std::fabs(now) / close * 100.0, "COLUMN_CROSS_UP", Price{close});
    else if (before >= 0 && now < 0)
      out.Emit(Side::kShort, std::fabs(now) / close * 100.0, "COLUMN_CROSS_DOWN", Price{close});
  }

 private:
  std::string column_;
  const double* x_ = nullptr;
};

// Publishes, at Bind, the column address_of_<column>: the address of the engine's buffer of
// `column` in every bar (exact in a double: user-space addresses have 47 bits). Emits nothing.
// What tests compare a Python view's data pointer with.
class PkgAddress final : public OpportunityWorker {
 public:
  explicit PkgAddress(const ParamSet& p) : column_(p.GetString("column")) {}

 protected:
  s1mple::Status OnBind(BindContext& ctx) override {
    auto id = ctx.ResolveSource(column_);
    if (!id.ok()) return id.status();
    const double address = static_cast<double>(reinterpret_cast<uintptr_t>(ctx.frame.Data(*id)));
    auto out = ctx.frame.AddColumn("address_of_" + column_);
    if (!out.ok()) return out.status();
    for (double& v : ctx.frame.MutableColumn(*out)) v = address;
    return s1mple::Status::Ok();
  }
  void OnDetect(const BarContext&, OpportunitySink&) override {}

 private:
  std::string column_;
};

}  // namespace

S1MPLE_PLUGIN_PACKAGE(registry) {
  PluginManifest m;
  m.name = "pkg_cross";
  m.category = WorkerCategory::kOpportunity;
  m.subtype = "momentum_signal";
  m.description = "EMA crossover (trend_follower, from a package)";
  m.params = {s1mple::sdk::Int("fast_period", 12, 1, 2000, "fast EMA period (< slow_period)"),
              s1mple::sdk::Int("slow_period", 26, 2, 5000, "slow EMA period"),
              s1mple::sdk::Enum("direction", "both", {"both", "long_only", "short_only"},
                                "which crossings become opportunities")};
#ifdef TEST_BAD_MANIFEST
  m.params.push_back(s1mple::sdk::Int("window", 500, 1, 100, "a default out of its bounds"));
#endif
  m.default_triggers = {"on_context_ready"};
  S1MPLE_RETURN_IF_ERROR(registry.Register(
      std::move(m), s1mple::sdk::MakeOrdered<PkgCross>("fast_period", "slow_period")));
  PluginManifest g;
  g.name = "pkg_close_gap";
  g.category = WorkerCategory::kContext;
  g.subtype = "indicator";
  g.description = "close - open of each bar, as the column close_gap";
  g.produces_columns = {"close_gap"};
  S1MPLE_RETURN_IF_ERROR(registry.Register(std::move(g), s1mple::sdk::Make<PkgCloseGap>()));
  PluginManifest c;
  c.name = "pkg_column_cross";
  c.category = WorkerCategory::kOpportunity;
  c.description = "long when `column` crosses above 0, short when below";
  c.params = {s1mple::sdk::String("column", "close_gap", "the column it reads")};
  S1MPLE_RETURN_IF_ERROR(registry.Register(std::move(c), s1mple::sdk::Make<PkgColumnCross>()));
  PluginManifest a;
  a.name = "pkg_address";
  a.category = WorkerCategory::kOpportunity;
  a.description = "publishes address_of_<column>, the address of the engine's buffer of `column`";
  a.params = {s1mple::sdk::String("column", "close", "the column")};
  S1MPLE_RETURN_IF_ERROR(registry.Register(std::move(a), s1mple::sdk::Make<PkgAddress>()));
#ifdef TEST_CLASH
  PluginManifest e;
  e.name = "ema";
  e.category = WorkerCategory::kContext;
  e.subtype = "indicator";
  e.description = "clashes with the built-in ema";
  S1MPLE_RETURN_IF_ERROR(registry.Register(std::move(e), s1mple::sdk::Make<PkgCloseGap>()));
#endif
  return s1mple::Status::Ok();
}
