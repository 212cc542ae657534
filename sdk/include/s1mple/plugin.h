// <s1mple/plugin.h>: writing a plugin package in C++, outside the s1mple tree.
//
// A package is one shared library (CMake: `add_library(NAME MODULE ...)` linking S1mple::plugin,
// or `s1mple_add_plugin(NAME SOURCES ...)`) that registers one or more plugins. A plugin is a
// worker class deriving from the base of its category (engine/worker.h: ContextWorker,
// OpportunityWorker, ThreatWorker, PlanningWorker, ExecutionWorker) that implements the
// protected hook of that base, plus a manifest (engine/plugin_registry.h: name, category,
// subtype, typed and bounded params, capabilities, events) and a factory that builds the worker
// from validated params. Read engine/worker.h first: it is the contract (lifecycle, per-bar
// order, what a hook may and may not do, determinism, no allocation per bar).
//
//   #include <s1mple/plugin.h>
//   using namespace s1mple::engine;
//
//   class MySignal final : public OpportunityWorker {
//    public:
//     explicit MySignal(const ParamSet& p) : period_(p.GetInt("period")) {}
//    protected:
//     Status OnBind(BindContext& ctx) override { ... resolve columns ... }
//     void OnDetect(const BarContext& bar, OpportunitySink& out) override { ... out.Emit(...) }
//    private:
//     int64_t period_;
//   };
//
//   S1MPLE_PLUGIN_PACKAGE(registry) {
//     PluginManifest m;
//     m.name = "my_signal";
//     m.category = WorkerCategory::kOpportunity;
//     m.subtype = "momentum_signal";
//     m.params = {s1mple::sdk::Int("period", 20, 2, 500, "bars in the window")};
//     return registry.Register(std::move(m), s1mple::sdk::Make<MySignal>());
//   }
//
// The categories, their base and the hook a plugin implements (engine/worker.h has the whole
// contract of each; `s1mple plugin new NAME --lang cpp --category C` writes a working example):
//   context      ContextWorker::OnCompute(frame)      once per run: add columns for all bars
//                (frame.AddColumn / MutableColumn; shared indicators frame.Ema/Rsi/Atr), named
//                after their params so two entries do not clash
//   opportunity  OpportunityWorker::OnDetect(bar, out) per bar of its triggers: out.Emit(...)
//   threat       ThreatWorker::OnAssess(bar, out)      per bar of its triggers: out.Raise(...)
//                (a threat that blocks new entries stands until the worker next runs without it)
//   planning     PlanningWorker::OnPlan(in, plan)      per opportunity past the threat gate, in
//                each phase the manifest's `phases` allows (entry, exit, size, routing): refine
//                the TradePlan, or plan.Reject(reason)
//   execution    ExecutionWorker::OnManage(bar, act)   per bar of its triggers, also while flat:
//                act.MoveStop / SetTarget / ClosePartial / CloseAll / CancelPendingEntries
// Opportunity and execution workers may also override OnNextActive(from, end, ledger): the first
// bar on which their hook could do anything, so the engine skips the quiet bars before it
// (optional; docs/CONFIGURATION.md "Quiet bars"; the default calls the hook on every bar).
// Every worker may override OnBind(ctx) (once, before the bar loop): resolve the columns it reads
// (ctx.ResolveSource(name), or ctx.frame.Ema(p) ...) into pointers, intern its custom events,
// and add columns of its own to ctx.frame for the workers bound after it. Per-bar hooks read
// those pointers and never allocate; strings handed to the engine (signal types, threat types,
// reasons) must outlive the run (literals, or strings the worker owns).
//
// The package's plugins are named in blueprints like built-ins once an operation or blueprint
// lists the package (`plugins: [build/libmy_signals.so]`, docs/CONFIGURATION.md). A name that
// clashes with a built-in or with another package's plugin is an error at load naming both.
//
// The binary contract (engine/plugin_abi.h): S1MPLE_PLUGIN_PACKAGE writes a stamp (plugin ABI,
// SDK version, compiler, architecture) into the library; s1mple reads it from the file and
// refuses a package that does not fit before any of its code runs, and only then calls the
// entry point. The package resolves the engine's symbols from the s1mple process that loads it
// (the executable exports them; a unit test gets them from S1mple::harness), so it links
// nothing of the engine itself. Everything this header declares keeps default visibility; the
// package's own symbols are hidden (S1mple::plugin compiles with -fvisibility=hidden), so they
// never collide with s1mple's or another package's.
//
// Determinism: S1mple::plugin compiles with -ffp-contract=off, as the engine does, so a*b+c
// rounds twice on every machine; a plugin that reads no clock, uses no unseeded randomness and
// iterates no hash-ordered container gives bit-identical results wherever it runs.
#pragma once

#pragma GCC visibility push(default)
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "engine/config.h"
#include "engine/context.h"
#include "engine/plugin_abi.h"
#include "engine/plugin_registry.h"
#include "engine/plugins/plugin_util.h"
#include "engine/types.h"
#include "engine/worker.h"
#pragma GCC visibility pop

namespace s1mple::sdk {

// Manifest helpers: typed params with their default, inclusive bounds and a description
// (engine/plugins/plugin_util.h, the same the built-ins use).
using engine::plugin::Bool;
using engine::plugin::Enum;
using engine::plugin::Float;
using engine::plugin::Int;
using engine::plugin::String;
using engine::plugin::StringList;

// A factory for a worker type constructible from its validated ParamSet.
using engine::plugin::Make;
// A factory for a worker whose int param `lower` must be below its int param `upper`.
using engine::plugin::MakeOrdered;

// A factory that first runs `check(params)` (cross-parameter rules bounds cannot say); a non-OK
// Status refuses the blueprint entry at load, its message naming the params.
template <typename W, typename Check>
engine::WorkerFactory MakeChecked(Check check) {
  return [check](const engine::ParamSet& p) -> Result<std::unique_ptr<engine::Worker>> {
    Status s = check(p);
    if (!s.ok()) return s;
    return std::unique_ptr<engine::Worker>(std::make_unique<W>(p));
  };
}

}  // namespace s1mple::sdk

// The stamp this package carries; tests of the loader's refusals override it on the compiler's
// command line (-DS1MPLE_PLUGIN_STAMP='"s1mple-plugin;abi=99;..."'). Not for packages.
#ifndef S1MPLE_PLUGIN_STAMP
#define S1MPLE_PLUGIN_STAMP S1MPLE_PLUGIN_STAMP_OF_THIS_BUILD
#endif

// Defines the package's entry point and stamp. Use once per package, at namespace scope,
// followed by the body of a function `s1mple::Status (s1mple::engine::PluginRegistry& REGISTRY)`
// that registers the package's plugins; returning a non-OK Status (or throwing) refuses the
// whole package with that message. s1mple calls it at most once per process, after the stamp
// was checked.
#define S1MPLE_PLUGIN_PACKAGE(REGISTRY)                                                         \
  extern "C" __attribute__((visibility("default"), used, section(S1MPLE_PLUGIN_STAMP_SECTION))) \
  const char s1mple_plugin_stamp_v1[] = S1MPLE_PLUGIN_STAMP;                                    \
  static ::s1mple::Status S1mplePluginRegisterPackage(::s1mple::engine::PluginRegistry&);       \
  extern "C" __attribute__((visibility("default"))) int s1mple_plugin_register_v1(              \
      ::s1mple::engine::PluginRegistry* registry, ::s1mple::Status* status) {                   \
    try {                                                                                       \
      *status = S1mplePluginRegisterPackage(*registry);                                         \
    } catch (const std::exception& e) {                                                         \
      *status = ::s1mple::Status::Internal(std::string("registration threw: ") + e.what());     \
    } catch (...) {                                                                             \
      *status = ::s1mple::Status::Internal("registration threw an unknown exception");          \
    }                                                                                           \
    return 0;                                                                                   \
  }                                                                                             \
  static ::s1mple::Status S1mplePluginRegisterPackage(::s1mple::engine::PluginRegistry& REGISTRY)
