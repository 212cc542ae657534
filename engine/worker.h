// The worker interfaces a plugin implements, and what workers see and produce per bar.
//
// One worker object per blueprint entry per run, created by its plugin's factory from validated
// params (engine/plugin_registry.h). Lifecycle: construct -> Bind(BindContext) once before the
// bar loop (resolve columns, intern events, compute context columns) -> the per-bar entry point
// of its category, called by its operator. Workers are single-threaded (one run = one thread)
// and must be deterministic: no clocks, no unseeded randomness, no hash-order iteration.
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
//   5. the threat gate and the planning phases turn the bar's opportunities into orders, which
//      the exchange fills from bar t+1 on.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
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
// string owned by the worker). Optional levels are NaN when not given.
struct Opportunity {
  OpportunityId id;  // assigned by the engine
  uint32_t bar = 0;  // bar index it was detected on
  Side side = Side::kLong;
  double score = 1.0;             // strength, higher is better; COLLECT_ALL ranks by it
  std::string_view signal_type;   // e.g. "EMA_CROSS_UP"
  double reference_price = kNaN;  // price the signal refers to (default: the bar's close)
  double zone_low = kNaN;         // e.g. a fair value gap or order block, for limit entries / stops
  double zone_high = kNaN;
  uint16_t worker = 0;  // index of the emitting worker in opportunity_workers
  bool vetoed = false;  // set by a later worker under CHAIN_THROUGH
};

// A raised threat. `type` (e.g. "MAX_DRAWDOWN_BREACHED") must outlive the run.
struct Threat {
  ThreatId id;  // assigned by the engine
  uint32_t bar = 0;
  std::string_view type;
  Severity severity = Severity::kMedium;
  bool blocks_new_entries = false;  // the gate rejects this bar's opportunities while it stands
  double value = kNaN;              // the measured quantity (e.g. drawdown in %)
  uint16_t worker = 0;
};

enum class OrderType : uint8_t { kMarket, kLimit, kStop };
std::string_view OrderTypeName(OrderType t);

// A trade plan for one opportunity, filled in by the planning phases in order:
// entry (order type and price) -> exit (stop, target) -> size -> routing (expiry, slicing).
// Prices are NaN when unset; size 0 when unset. A plan that ends rejected, without a size, or
// with a stop on the wrong side of the entry becomes no order, and the opportunity records why.
struct TradePlan {
  OpportunityId opportunity;
  Side side = Side::kLong;
  OrderType entry_type = OrderType::kMarket;
  double entry_price = kNaN;      // limit / stop price; NaN for market
  double reference_price = kNaN;  // expected fill for risk maths (entry_price, else the close)
  double stop_loss = kNaN;
  double take_profit = kNaN;
  double size = 0.0;                // units
  int32_t expiry_bars = 0;          // limit/stop entry: cancel after this many bars (0 = never)
  int32_t slices = 1;               // routing: split the entry into this many equal orders ...
  int32_t slice_interval_bars = 1;  // ... this many bars apart (TWAP); 1 slice = one order
  bool rejected = false;
  std::string_view reject_reason;  // a literal, e.g. "NO_STOP_FOR_RISK_SIZING"

  void Reject(std::string_view reason) {
    rejected = true;
    reject_reason = reason;
  }
};

// ---- what workers see ---------------------------------------------------------------------------

// The open position of a strategy link (one net position; size 0 when flat).
struct PositionView {
  bool open = false;
  Side side = Side::kLong;
  double size = 0.0;          // units, > 0 when open
  double initial_size = 0.0;  // size after the last entry fill (for partial-exit fractions)
  double entry_price = kNaN;  // average
  double stop_loss = kNaN;
  double take_profit = kNaN;
  OpportunityId opportunity;
  uint32_t entry_bar = 0;
  int32_t partial_exits = 0;  // how many partial exits so far
};

// The ledger as workers may read it, at the close of the current bar.
struct LedgerView {
  double equity = 0;  // cash + position marked at the close
  double cash = 0;
  double peak_equity = 0;       // highest equity so far in this run
  double day_start_equity = 0;  // equity at the close of the previous UTC day (or the start)
  double realized_pnl = 0;
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
  std::span<const Threat> threats;  // threats raised so far on this bar (all, for planning)

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
  virtual void Emit(Side side, double score, std::string_view signal_type,
                    double reference_price = kNaN, double zone_low = kNaN,
                    double zone_high = kNaN) = 0;
  // Under SEQUENTIAL + CHAIN_THROUGH: the opportunities earlier workers emitted in this step;
  // a confirming worker may veto them (rejected with reason "VETOED_BY_<plugin>"). Empty
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
  virtual void MoveStop(double price) = 0;   // NaN removes the stop
  virtual void SetTarget(double price) = 0;  // NaN removes the target
  virtual void ClosePartial(double fraction, std::string_view reason) = 0;  // of current size
  virtual void CloseAll(std::string_view reason) = 0;
  virtual void CancelPendingEntries() = 0;
  virtual EventPublisher& events() = 0;
};

// ---- the worker bases ---------------------------------------------------------------------------

// What Bind gets. `frame` may be extended (indicator columns). Context workers see in
// `source_columns_visible` how many columns of the frame they may read as a source: under
// SEQUENTIAL + CHAIN_THROUGH all columns made by earlier context workers, otherwise only the
// five bar columns.
class EventRegistry;
struct BindContext {
  ContextFrame& frame;
  EventRegistry& events;
  ColumnId source_columns_visible = kBarColumnCount;
  std::string_view origin;     // e.g. "config/strategies/ema_cross.yaml" (for error messages)
  std::string_view yaml_path;  // e.g. "context_workers[1]"
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

class Worker {
 public:
  virtual ~Worker() = default;
  virtual WorkerCategory category() const = 0;
  // Called once before the bar loop. Default: nothing to bind.
  [[nodiscard]] virtual Status Bind(BindContext& ctx) {
    (void)ctx;
    return Status::Ok();
  }
};

// Enriches the context: computes its columns for every bar at once (in Bind or Compute).
class ContextWorker : public Worker {
 public:
  WorkerCategory category() const final { return WorkerCategory::kContext; }
  // Fills the worker's columns; runs once per run, after Bind, in the ContextOperator's order.
  [[nodiscard]] virtual Status Compute(ContextFrame& frame) = 0;
};

class OpportunityWorker : public Worker {
 public:
  WorkerCategory category() const final { return WorkerCategory::kOpportunity; }
  virtual void Detect(const BarContext& bar, OpportunitySink& out) = 0;
};

class ThreatWorker : public Worker {
 public:
  WorkerCategory category() const final { return WorkerCategory::kThreat; }
  virtual void Assess(const BarContext& bar, ThreatSink& out) = 0;
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
  // Refines `plan` for its phase. Under CHAIN_THROUGH `plan` holds what earlier workers decided;
  // under COLLECT_ALL it holds only what earlier phases decided (see docs/CONFIGURATION.md).
  virtual void Plan(const PlanningInput& in, TradePlan& plan) = 0;
  // EventDrivenWorker planners (manifest `events` capability, or explicit `triggers:`): called
  // when one of their wired events fires on this bar, before the bar's planning phases run, so
  // the planner can remember what the event carried and use it in Plan(). Default: nothing.
  virtual void OnEvent(const BarContext& bar, const Event& event) {
    (void)bar;
    (void)event;
  }
};

class ExecutionWorker : public Worker {
 public:
  WorkerCategory category() const final { return WorkerCategory::kExecution; }
  // Runs when one of its triggers fires (default on_context_ready), also while flat.
  virtual void Manage(const BarContext& bar, PositionActions& actions) = 0;
};

}  // namespace s1mple::engine
