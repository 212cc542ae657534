// The worker API: the bases a plugin derives from, and what workers see and produce per bar.
// This is the surface the plugin SDK publishes; its types are the domain types of
// engine/types.h (Price, Quantity, Money, TimestampMs, OpportunityId, ThreatId), with
// std::optional<Price> where "no price" is meant.
//
// One worker object per blueprint entry per run, created by its plugin's factory from validated
// params (engine/plugin_registry.h). Lifecycle: construct -> Bind(BindContext) once before the
// bar loop (resolve columns, intern events) -> Compute (context workers, once) -> the per-bar
// entry point of its category, called by its operator. Workers must be deterministic: no clocks,
// no unseeded randomness, no hash-order iteration.
//
// Threading: one run is single-threaded (one run = one thread; a runner runs runs side by side,
// each with its own workers), so nothing here is locked and no mutex or thread-safety
// annotation (GUARDED_BY) applies: a worker is never shared between runs.
//
// The bases keep the invariants, as spdlog's base_sink does: the engine calls a public
// non-virtual entry (Bind, Compute, Detect, Assess, Plan, HandleEvent, Manage, NextActive) and the
// entry calls the protected hook the plugin implements (OnBind, OnCompute, OnDetect, OnAssess,
// OnPlan, OnEvent, OnManage, OnNextActive; the last is optional: quiet bars, below). The entry
//   - catches whatever the hook throws and fails the run with a message that names the worker:
//     "<origin>: <yaml_path> (<plugin>): threw: <what> (bar <t>, <ISO time>)", e.g.
//     "config/strategies/ict_smc.yaml: opportunity_workers[0] (fvg_entry_detector): threw: ...";
//   - times the call when the run asked for it (RunOptions::time_workers; off: one branch on a
//     null pointer, no clock read);
//   - Plan: applies the NaN rule to the plan's prices (a NaN price is no price; engine/types.h).
//
// Per-bar entry points must not allocate: they read columns through pointers resolved at Bind,
// and emit into sinks that write into preallocated buffers.
//
// The per-bar order (docs/CONFIGURATION.md, "The bar loop"):
//   1. the exchange fills pending orders on bar t (exits, then entries, at the open or
//      intrabar; then stops/targets intrabar, adverse first, only the stop on a bar where a
//      limit/stop entry filled) and publishes on_order_filled / on_position_closed;
//   2. the ledger marks to market at the close; on_ledger_update when anything changed;
//   3. on_context_ready (context columns were computed for all bars before the loop);
//   4. the event bus drains FIFO: each event runs the threat, opportunity and execution workers
//      triggered by it, as their operators' strategies say; opportunities and threats publish
//      on_opportunity_detected / on_threat_detected; workers may publish their own events;
//   5. the threat gate and the planner turn the bar's opportunities into orders, which the
//      exchange fills from bar t+1 on.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/status.h"
#include "engine/context.h"
#include "engine/types.h"

namespace s1mple::engine {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- events -------------------------------------------------------------------------------------

using EventId = uint16_t;

// Built-in events, published by the engine. Their names are what blueprints write in `triggers:`
// and manifests in `wirings`.
inline constexpr EventId kOnContextReady = 0;         // "on_context_ready": every bar
inline constexpr EventId kOnLedgerUpdate = 1;         // "on_ledger_update": a fill, or equity moved
inline constexpr EventId kOnOpportunityDetected = 2;  // "on_opportunity_detected"
inline constexpr EventId kOnThreatDetected = 3;       // "on_threat_detected"
inline constexpr EventId kOnOrderFilled = 4;          // "on_order_filled"
inline constexpr EventId kOnPositionClosed = 5;       // "on_position_closed"
inline constexpr EventId kBuiltinEventCount = 6;
std::string_view BuiltinEventName(EventId id);  // "" for custom ids

// One event on the bus. Payload fields are set where they apply (0 / NaN otherwise).
struct Event {
  EventId id = kOnContextReady;
  OpportunityId opportunity;
  ThreatId threat;
  double value = kNaN;  // e.g. fill price, or what a custom event carries
};

// ---- what workers produce -----------------------------------------------------------------------

// A detected chance. `signal_type` must point to storage that outlives the run (a literal or a
// string owned by the worker).
struct Opportunity {
  OpportunityId id;  // assigned by the engine
  uint32_t bar = 0;  // bar index it was detected on
  Side side = Side::kLong;
  double score = 1.0;                    // strength, higher is better; COLLECT_ALL ranks by it
  std::string_view signal_type;          // e.g. "EMA_CROSS_UP"
  std::optional<Price> reference_price;  // price the signal refers to (none: the bar's close)
  std::optional<Price> zone_low;         // e.g. a fair value gap or order block, for limit entries
  std::optional<Price> zone_high;        // and stops
  uint16_t worker = 0;                   // index of the emitting worker in opportunity_workers
  bool vetoed = false;                   // set by a later worker under CHAIN_THROUGH
};

// A raised threat. `type` (e.g. "MAX_DRAWDOWN_BREACHED") must outlive the run.
struct Threat {
  ThreatId id;  // assigned by the engine
  uint32_t bar = 0;
  std::string_view type;
  Severity severity = Severity::kMedium;
  bool blocks_new_entries = false;  // the threat gate rejects new opportunities while it stands
  double value = kNaN;              // the measured quantity (e.g. drawdown in %)
  uint16_t worker = 0;
};

enum class OrderType : uint8_t { kMarket, kLimit, kStop };
std::string_view OrderTypeName(OrderType t);

// A trade plan for one opportunity, filled in by the planning phases in order:
// entry (order type and price) -> exit (stop, target) -> size -> routing (expiry, slicing).
// Unset prices are nullopt; an unset size is 0. A plan that ends rejected, without a size, or
// with a stop on the wrong side of the entry becomes no order, and the opportunity records why
// (engine/rejection.h).
struct TradePlan {
  OpportunityId opportunity;
  Side side = Side::kLong;
  OrderType entry_type = OrderType::kMarket;
  std::optional<Price> entry_price;      // limit / stop price; none for market
  std::optional<Price> reference_price;  // expected fill for risk maths (none: the bar's close)
  std::optional<Price> stop_loss;
  std::optional<Price> take_profit;
  Quantity size;                    // units; 0 = unset
  int32_t expiry_bars = 0;          // limit/stop entry: cancel after this many bars (0 = never)
  int32_t slices = 1;               // routing: split the entry into this many equal orders ...
  int32_t slice_interval_bars = 1;  // ... this many bars apart (TWAP); 1 slice = one order
  bool rejected = false;
  // The planning worker's own reason (RejectionCode::kPlanner), e.g. "NO_STOP_FOR_RISK_SIZING":
  // a literal or a string the worker owns (it must outlive the run); "" = PLAN_REJECTED.
  std::string_view reject_reason;

  void Reject(std::string_view reason) {
    rejected = true;
    reject_reason = reason;
  }
  // The reference price, else `close` (what risk maths measure from).
  double ReferenceOr(double close) const { return reference_price ? reference_price->v : close; }
};

// ---- what workers see ---------------------------------------------------------------------------

// The open position of a strategy link (one net position; flat when !open).
struct PositionView {
  bool open = false;
  Side side = Side::kLong;
  Quantity size;          // > 0 when open
  Quantity initial_size;  // size after the last entry fill (for partial-exit fractions)
  Price entry_price;      // average fill price; meaningful while open
  std::optional<Price> stop_loss;
  std::optional<Price> take_profit;
  OpportunityId opportunity;
  uint32_t entry_bar = 0;
  int32_t partial_exits = 0;  // fills of partial closes so far, whatever their reason
};

// The ledger as workers may read it, at the close of the current bar.
struct LedgerView {
  Money equity;  // cash + position marked at the close
  Money cash;
  Money peak_equity;       // highest equity so far in this run
  Money day_start_equity;  // equity at the close of the previous UTC day (or the start)
  Money realized_pnl;
  uint32_t closed_trades = 0;
  uint32_t pending_orders = 0;
  PositionView position;
};

// Everything a worker may look at on bar t. Borrowed for the duration of one call.
struct BarContext {
  uint32_t bar = 0;  // index into the series (and every context column)
  TimestampMs ts;
  const ContextFrame* frame = nullptr;
  const LedgerView* ledger = nullptr;
  const Event* event = nullptr;     // what triggered this call
  std::span<const Threat> threats;  // threats standing on this bar (all, for planning)

  double Close() const { return frame->Data(kCloseColumn)[bar]; }
  double Value(ColumnId c) const { return frame->Data(c)[bar]; }
};

// Publishing custom events (interned at Bind). Shared by every sink.
class EventPublisher {
 public:
  virtual ~EventPublisher() = default;
  virtual void Publish(EventId id, double value) = 0;
};

class OpportunitySink {
 public:
  virtual ~OpportunitySink() = default;
  // Records an opportunity (the engine assigns its id and publishes on_opportunity_detected).
  // A NaN level counts as none.
  virtual void Emit(Side side, double score, std::string_view signal_type,
                    std::optional<Price> reference_price = std::nullopt,
                    std::optional<Price> zone_low = std::nullopt,
                    std::optional<Price> zone_high = std::nullopt) = 0;
  // Under SEQUENTIAL + CHAIN_THROUGH: the opportunities earlier workers emitted in this step;
  // a confirming worker may veto them (set `vetoed`: rejected with reason VETOED). Empty
  // otherwise.
  virtual std::span<Opportunity> Earlier() = 0;
  virtual EventPublisher& events() = 0;
};

class ThreatSink {
 public:
  virtual ~ThreatSink() = default;
  virtual void Raise(std::string_view type, Severity severity, bool blocks_new_entries,
                     double value) = 0;
  // Under SEQUENTIAL + CHAIN_THROUGH: threats earlier workers raised in this step.
  virtual std::span<const Threat> Earlier() const = 0;
  virtual EventPublisher& events() = 0;
};

// What execution workers may do to the open position. Effects: stop/target changes apply from
// the next bar on; closes are market orders filled at the next bar's open (with slippage),
// before any entry due on that bar. A close's `reason` becomes the trade's exit_reason ("" =
// "close" for all, "partial_exit" for part); it must outlive the run (a literal or a string the
// worker owns). A close that empties the position cancels its opportunity's queued entries.
class PositionActions {
 public:
  virtual ~PositionActions() = default;
  virtual void MoveStop(std::optional<Price> price) = 0;   // nullopt (or NaN) removes the stop
  virtual void SetTarget(std::optional<Price> price) = 0;  // nullopt (or NaN) removes the target
  virtual void ClosePartial(double fraction, std::string_view reason) = 0;  // of current size
  virtual void CloseAll(std::string_view reason) = 0;
  virtual void CancelPendingEntries() = 0;
  virtual EventPublisher& events() = 0;
};

// ---- the worker bases ---------------------------------------------------------------------------

// What Bind gets. `frame` may be extended (indicator columns). Context workers see in
// `source_columns_visible` how many columns of the frame they may read as a source: under
// SEQUENTIAL + CHAIN_THROUGH all columns made by earlier context workers, otherwise only the
// five bar columns. The views point at the run's configuration (they outlive the run).
class EventRegistry;
struct BindContext {
  ContextFrame& frame;
  EventRegistry& events;
  ColumnId source_columns_visible = kBarColumnCount;
  std::string_view origin;     // e.g. "config/strategies/ema_cross.yaml" (for error messages)
  std::string_view yaml_path;  // e.g. "context_workers[1]"
  std::string_view plugin;     // e.g. "ema"
  // Resolves a source column name visible to this worker, or explains why not.
  [[nodiscard]] Result<ColumnId> ResolveSource(std::string_view name) const;
  Status Error(std::string_view message) const;  // "origin: yaml_path: message"
};

// Interns event names to ids (built-ins first). Used at Bind time only.
class EventRegistry {
 public:
  virtual ~EventRegistry() = default;
  virtual EventId Intern(std::string_view name) = 0;
};

// What RunOptions::time_workers measures of one worker: its entry calls and the wall time spent
// in them (steady clock), Bind and Compute apart from the per-bar calls.
struct WorkerStats {
  uint64_t calls = 0;             // per-bar entry calls (Detect, Assess, Plan, HandleEvent, Manage)
  int64_t nanoseconds = 0;        // time in those calls
  int64_t setup_nanoseconds = 0;  // time in Bind and Compute
};

// What a worker's entry throws when its hook threw (RunBacktest turns it into a failed run).
class WorkerFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Worker {
 public:
  virtual ~Worker() = default;
  virtual WorkerCategory category() const = 0;

  // Called once before the bar loop: remembers the worker's origin, YAML path and plugin (for
  // messages), then runs OnBind. A hook that throws fails with Internal naming the worker.
  [[nodiscard]] Status Bind(BindContext& ctx);

  // "<origin>: <yaml_path> (<plugin>)", what failures name (after Bind).
  std::string Describe() const;

  // The engine: time the entries into `stats` from now on (nullptr: stop). Not for plugins.
  void TimeInto(WorkerStats* stats) { stats_ = stats; }

 protected:
  // Default: nothing to bind.
  [[nodiscard]] virtual Status OnBind(BindContext& ctx) {
    (void)ctx;
    return Status::Ok();
  }

  // Runs `hook` as an entry does: timed when asked, a throw turned into a WorkerFailure.
  template <typename Hook>
  void Guard(const BarContext* bar, Hook&& hook) {
    if (stats_ == nullptr) [[likely]] {
      try {
        hook();
      } catch (...) {
        Fail(bar);
      }
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    try {
      hook();
    } catch (...) {
      Fail(bar);
    }
    ++stats_->calls;
    stats_->nanoseconds += (std::chrono::steady_clock::now() - start).count();
  }
  // The same for Status-returning setup calls (Bind, Compute): a throw becomes Internal.
  template <typename Hook>
  Status GuardSetup(Hook&& hook) {
    const auto start =
        stats_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    Status s;
    try {
      s = hook();
    } catch (...) {
      s = ThrownStatus();
    }
    if (stats_) stats_->setup_nanoseconds += (std::chrono::steady_clock::now() - start).count();
    return s;
  }

 private:
  // Called inside a catch block: throws WorkerFailure naming the worker, what it threw and the bar.
  [[noreturn]] void Fail(const BarContext* bar) const;
  Status ThrownStatus() const;  // inside a catch block: Internal naming the worker

  std::string_view origin_, yaml_path_, plugin_;
  WorkerStats* stats_ = nullptr;
};

// Enriches the context: computes its columns for every bar at once (in OnBind or OnCompute).
class ContextWorker : public Worker {
 public:
  WorkerCategory category() const final { return WorkerCategory::kContext; }
  // Fills the worker's columns; runs once per run, after Bind, in the ContextOperator's order.
  [[nodiscard]] Status Compute(ContextFrame& frame) {
    return GuardSetup([&] { return OnCompute(frame); });
  }

 protected:
  [[nodiscard]] virtual Status OnCompute(ContextFrame& frame) = 0;
};

// Quiet bars (optional, for speed; docs/CONFIGURATION.md "Quiet bars"). A worker triggered on
// on_context_ready may tell the engine the first bar in [from, end) on which its hook could do
// anything at all (emit, raise, act, publish, or change what it remembers), given that the
// position stays as `ledger` shows it; `end` when there is none. On the bars before it the engine
// skips the hook, but only while nothing else happens on them (no order waits, no stop or target
// to watch, nobody else listening): it marks the equity curve of those bars in one pass. The
// result is bit for bit the one of calling the hook on every bar. std::nullopt (the default):
// "ask me on every bar"; a worker that answers nullopt once is not asked again in that run.
using NextActiveBar = std::optional<uint32_t>;

class OpportunityWorker : public Worker {
 public:
  WorkerCategory category() const final { return WorkerCategory::kOpportunity; }
  void Detect(const BarContext& bar, OpportunitySink& out) {
    Guard(&bar, [&] { OnDetect(bar, out); });
  }
  NextActiveBar NextActive(uint32_t from, uint32_t end, const LedgerView& ledger) {
    NextActiveBar next;
    Guard(nullptr, [&] { next = OnNextActive(from, end, ledger); });
    return next;
  }

 protected:
  virtual void OnDetect(const BarContext& bar, OpportunitySink& out) = 0;
  // The first bar in [from, end) on which OnDetect may emit or publish (see NextActiveBar).
  virtual NextActiveBar OnNextActive(uint32_t from, uint32_t end, const LedgerView& ledger) {
    (void)from, (void)end, (void)ledger;
    return std::nullopt;
  }
};

class ThreatWorker : public Worker {
 public:
  WorkerCategory category() const final { return WorkerCategory::kThreat; }
  void Assess(const BarContext& bar, ThreatSink& out) {
    Guard(&bar, [&] { OnAssess(bar, out); });
  }

 protected:
  virtual void OnAssess(const BarContext& bar, ThreatSink& out) = 0;
};

// Input of one planning step: the opportunity being planned, on the bar it was detected.
struct PlanningInput {
  const BarContext* bar = nullptr;
  const Opportunity* opportunity = nullptr;
  PlanningPhase phase = PlanningPhase::kEntry;
};

class PlanningWorker : public Worker {
 public:
  WorkerCategory category() const final { return WorkerCategory::kPlanning; }
  // Refines `plan` for its phase (OnPlan), then applies the NaN rule to its prices.
  void Plan(const PlanningInput& in, TradePlan& plan) {
    Guard(in.bar, [&] { OnPlan(in, plan); });
    plan.entry_price = PriceOrNone(plan.entry_price);
    plan.reference_price = PriceOrNone(plan.reference_price);
    plan.stop_loss = PriceOrNone(plan.stop_loss);
    plan.take_profit = PriceOrNone(plan.take_profit);
  }
  // EventDrivenWorker planners (manifest `events` capability, or explicit `triggers:`): called
  // when one of their wired events fires on this bar, before the bar's planning phases run.
  void HandleEvent(const BarContext& bar, const Event& event) {
    Guard(&bar, [&] { OnEvent(bar, event); });
  }

 protected:
  // Under CHAIN_THROUGH `plan` holds what earlier workers decided; under COLLECT_ALL only what
  // earlier phases decided (see docs/CONFIGURATION.md).
  virtual void OnPlan(const PlanningInput& in, TradePlan& plan) = 0;
  // Remember what the event carried to use it in OnPlan. Default: nothing.
  virtual void OnEvent(const BarContext& bar, const Event& event) {
    (void)bar;
    (void)event;
  }
};

class ExecutionWorker : public Worker {
 public:
  WorkerCategory category() const final { return WorkerCategory::kExecution; }
  // Runs when one of its triggers fires (default on_context_ready), also while flat.
  void Manage(const BarContext& bar, PositionActions& actions) {
    Guard(&bar, [&] { OnManage(bar, actions); });
  }
  NextActiveBar NextActive(uint32_t from, uint32_t end, const LedgerView& ledger) {
    NextActiveBar next;
    Guard(nullptr, [&] { next = OnNextActive(from, end, ledger); });
    return next;
  }

 protected:
  virtual void OnManage(const BarContext& bar, PositionActions& actions) = 0;
  // The first bar in [from, end) on which OnManage may act or publish with the position as
  // `ledger.position` shows it (see NextActiveBar). E.g. `end` while flat, for an exit rule.
  virtual NextActiveBar OnNextActive(uint32_t from, uint32_t end, const LedgerView& ledger) {
    (void)from, (void)end, (void)ledger;
    return std::nullopt;
  }
};

}  // namespace s1mple::engine
