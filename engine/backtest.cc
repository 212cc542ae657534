// RunBacktest: the per-bar loop, the operators, the event bus, the simulated exchange and the
// ledger of one strategy link. Rules documented in docs/CONFIGURATION.md ("operators.yaml",
// "The bar loop" with its fill rules, "Positions").
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/operation.h"
#include "engine/worker.h"

namespace s1mple::engine {

std::string_view BuiltinEventName(EventId id) {
  switch (id) {
    case kOnContextReady:
      return "on_context_ready";
    case kOnLedgerUpdate:
      return "on_ledger_update";
    case kOnOpportunityDetected:
      return "on_opportunity_detected";
    case kOnThreatDetected:
      return "on_threat_detected";
    case kOnOrderFilled:
      return "on_order_filled";
    case kOnPositionClosed:
      return "on_position_closed";
    default:
      return "";
  }
}

std::string_view OrderTypeName(OrderType t) {
  switch (t) {
    case OrderType::kMarket:
      return "market";
    case OrderType::kLimit:
      return "limit";
    case OrderType::kStop:
      return "stop";
  }
  return "?";
}

namespace {

constexpr int64_t kDayMs = 86'400'000;

int64_t DayOf(int64_t ts) {
  return ts >= 0 ? ts / kDayMs : -((-ts + kDayMs - 1) / kDayMs);
}

class EventNames final : public EventRegistry {
 public:
  EventNames() {
    for (EventId id = 0; id < kBuiltinEventCount; ++id) names_.emplace_back(BuiltinEventName(id));
  }
  EventId Intern(std::string_view name) override {
    for (size_t i = 0; i < names_.size(); ++i)
      if (names_[i] == name) return static_cast<EventId>(i);
    names_.emplace_back(name);
    return static_cast<EventId>(names_.size() - 1);
  }
  size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
};

// A pending order at the exchange. Entries open or add to the position and carry the plan's
// stop and target; exits reduce it at the next open.
struct Order {
  bool entry = true;
  OrderType type = OrderType::kMarket;
  Side side = Side::kLong;  // the position side it opens (entry) or closes (exit)
  double price = kNaN;      // limit / stop price
  double size = 0;
  double stop_loss = kNaN;
  double take_profit = kNaN;
  OpportunityId opportunity;
  uint32_t active_from = 0;    // first bar it may fill on
  uint32_t expires_after = 0;  // last bar it may fill on (UINT32_MAX: never)
  std::string_view reason;     // exits: the trade's exit_reason (outlives the run)
  bool partial = false;        // exits: a partial close (counts in PositionView::partial_exits)
};

// The execution actions one worker (or, merged, an operator step) asked for.
struct ActionSet {
  bool set_stop = false, set_target = false, cancel_entries = false;
  double stop = kNaN, target = kNaN;
  double close_fraction = 0;  // 0 .. 1 of the current size
  std::string_view reason;    // the worker's reason for the close ("" = none given)
};

struct StandingThreat {
  Threat threat;
};

class Run {
 public:
  Run(const StrategyLink& link, const BarSeries& bars, const RunOptions& options)
      : link_(link),
        bars_(bars),
        options_(options),
        registry_(options.registry ? *options.registry : DefaultRegistry()),
        frame_(bars),
        env_(link.environment),
        origin_(link.blueprint_path.empty() ? "blueprint '" + link.blueprint.name + "'"
                                            : link.blueprint_path.string()),
        opp_sink_(this),
        threat_sink_(this),
        actions_(this) {}

  Result<BacktestResult> Execute();

 private:
  // ---- sinks handed to workers --------------------------------------------------------------
  class Publisher final : public EventPublisher {
   public:
    explicit Publisher(Run* r) : r_(r) {}
    void Publish(EventId id, double value) override { r_->Push(id, value); }

   private:
    Run* r_;
  };

  class OppSink final : public OpportunitySink {
   public:
    explicit OppSink(Run* r) : r_(r), pub_(r) {}
    void Emit(Side side, double score, std::string_view type, double ref, double lo,
              double hi) override {
      r_->EmitOpportunity(worker, side, score, type, ref, lo, hi);
    }
    std::span<Opportunity> Earlier() override {
      if (!chain) return {};
      return std::span<Opportunity>(r_->bar_opps_).subspan(group_start);
    }
    EventPublisher& events() override { return pub_; }
    uint16_t worker = 0;
    bool chain = false;
    size_t group_start = 0;

   private:
    Run* r_;
    Publisher pub_;
  };

  class ThreatSinkImpl final : public ThreatSink {
   public:
    explicit ThreatSinkImpl(Run* r) : r_(r), pub_(r) {}
    void Raise(std::string_view type, Severity sev, bool blocks, double value) override {
      r_->RaiseThreat(worker, type, sev, blocks, value);
    }
    std::span<const Threat> Earlier() const override {
      if (!chain) return {};
      return std::span<const Threat>(r_->group_threats_);
    }
    EventPublisher& events() override { return pub_; }
    uint16_t worker = 0;
    bool chain = false;

   private:
    Run* r_;
    Publisher pub_;
  };

  class Actions final : public PositionActions {
   public:
    explicit Actions(Run* r) : r_(r), pub_(r) {}
    void MoveStop(double price) override {
      set.set_stop = true;
      set.stop = price;
    }
    void SetTarget(double price) override {
      set.set_target = true;
      set.target = price;
    }
    // Several closes in one Manage: the largest fraction and its reason (the first on a tie).
    void ClosePartial(double fraction, std::string_view reason) override {
      if (!(fraction > 0) || fraction <= set.close_fraction) return;
      set.close_fraction = std::min(1.0, fraction);
      set.reason = reason;
    }
    void CloseAll(std::string_view reason) override { ClosePartial(1.0, reason); }
    void CancelPendingEntries() override { set.cancel_entries = true; }
    EventPublisher& events() override { return pub_; }
    ActionSet set;

   private:
    Run* r_;
    Publisher pub_;
  };

  // ---- setup ------------------------------------------------------------------------------------
  Status CreateWorkers();
  Status BindWorkers();
  std::vector<std::string> TriggersOf(const WorkerConfig& wc) const;
  Status Subscribe(const WorkerConfig& wc, uint16_t index,
                   std::vector<std::vector<uint16_t>>& subs);

  // ---- per bar ----------------------------------------------------------------------------------
  // Queues an event for this bar's bus. An event no worker listens to is dropped here: draining
  // it would run nothing.
  [[gnu::always_inline]] void Push(EventId id, double value, OpportunityId opportunity = {},
                                   ThreatId threat = {}) {
    if (id >= listeners_.size() || listeners_[id] == 0) return;
    if (queue_size_ >= options_.max_events_per_bar || storm_) {  // events this bar
      storm_ = true;
      return;
    }
    Event& e = queue_[queue_size_++];  // fields written in place: no Event copied through memory
    e.id = id;
    e.opportunity = opportunity;
    e.threat = threat;
    e.value = value;
  }
  void Dispatch(const Event& e, uint32_t t);
  void ProcessExchange(uint32_t t);
  bool FillOrders(uint32_t t);
  void FillStopAndTarget(uint32_t t, bool entered_intrabar);
  bool FillEntry(const Order& o, double price, uint32_t t);
  void FillExit(double size, double price, std::string_view reason, bool partial, uint32_t t);
  void CancelEntriesOf(OpportunityId opportunity);
  void MarkToMarket(uint32_t t, bool fills);
  void DrainBus(uint32_t t);
  void RunThreats(const Event& e, uint32_t t);
  void RunOpportunities(const Event& e, uint32_t t);
  void RunExecution(const Event& e, uint32_t t);
  void RunPlanningEvents(const Event& e, uint32_t t);
  void ApplyActions(const ActionSet& a, uint32_t t);
  void PlanOpportunities(uint32_t t);
  void PlanOne(const Opportunity& opp, uint32_t t);
  void RunPlanningPhase(int phase, const PlanningInput& in, TradePlan& plan);
  void Reject(const Opportunity& opp, std::string_view reason, ThreatId threat);
  void EmitOpportunity(uint16_t worker, Side side, double score, std::string_view type, double ref,
                       double lo, double hi);
  void RaiseThreat(uint16_t worker, std::string_view type, Severity sev, bool blocks, double value);
  void RebuildActiveThreats();
  BarContext MakeBar(uint32_t t, const Event* e) const {
    BarContext b;
    b.bar = t;
    b.ts = TimestampMs{bars_.ts_ms[t]};
    b.frame = &frame_;
    b.ledger = &ledger_;
    b.event = e;
    b.threats = active_threats_;
    return b;
  }
  double Fee(double notional) const { return notional * env_.fees_bps / 10000.0; }
  double Slip(double price, bool buying) const {
    const double s = env_.slippage_bps / 10000.0;
    return buying ? price * (1 + s) : price * (1 - s);
  }
  void Finish(BacktestResult& r);

  const StrategyLink& link_;
  const BarSeries& bars_;
  const RunOptions& options_;
  const PluginRegistry& registry_;
  ContextFrame frame_;
  const Environment& env_;
  std::string origin_;
  EventNames events_;
  OppSink opp_sink_;
  ThreatSinkImpl threat_sink_;
  Actions actions_;

  std::vector<std::unique_ptr<ContextWorker>> context_;
  std::vector<std::unique_ptr<OpportunityWorker>> opportunity_;
  std::vector<std::unique_ptr<ThreatWorker>> threat_;
  std::array<std::vector<std::unique_ptr<PlanningWorker>>, kPlanningPhaseCount> planning_;
  std::vector<std::unique_ptr<ExecutionWorker>> execution_;
  std::vector<const WorkerConfig*> opportunity_cfg_, threat_cfg_, execution_cfg_;
  std::array<std::vector<const WorkerConfig*>, kPlanningPhaseCount> planning_cfg_;
  // Per event id: the workers of each category it triggers, in blueprint order.
  std::vector<std::vector<uint16_t>> opp_subs_, threat_subs_, exec_subs_;
  // Per event id: event-driven planners it triggers, as (phase, index in that phase).
  std::vector<std::vector<std::pair<uint8_t, uint16_t>>> plan_subs_;

  // Per event id: which kinds of worker it triggers (kListens* bits); 0 = nobody listens.
  static constexpr uint8_t kListensThreat = 1, kListensOpportunity = 2, kListensExecution = 4,
                           kListensPlanning = 8;
  std::vector<uint8_t> listeners_;

  // Bus (cleared every bar; capacity kept).
  std::unique_ptr<Event[]> queue_;  // max_events_per_bar slots
  uint32_t queue_size_ = 0, queue_head_ = 0;
  bool storm_ = false;

  // Bar state.
  std::vector<Opportunity> bar_opps_;
  std::vector<Threat> group_threats_;
  std::vector<std::vector<Threat>> standing_;  // per threat worker
  std::vector<Threat> prev_standing_;
  std::vector<Threat> active_threats_;

  // Ledger and exchange.
  LedgerView ledger_;
  double entry_fees_open_ = 0;  // entry fees of the open position not yet charged to trades
  int64_t entry_ts_ = 0;
  std::vector<Order> orders_;
  // The opportunity whose position closed completely in this ProcessExchange (0: none): its
  // still-queued entries are cancelled.
  OpportunityId closed_opportunity_;
  int64_t current_day_ = 0;
  double last_equity_ = 0;
  uint32_t begin_ = 0, end_ = 0;  // traded bars [begin_, end_)
  uint32_t current_bar_ = 0;

  // Output.
  uint32_t next_opp_id_ = 1, next_threat_id_ = 1;
  BacktestResult result_;
  // Keyed by the reason's view: reasons are literals or threat types that outlive the run.
  // Few distinct reasons per run: a flat list, sorted by name in Finish.
  std::vector<std::pair<std::string_view, int64_t>> rejections_;
};

Status Run::CreateWorkers() {
  const BlueprintConfig& bp = link_.blueprint;
  auto make = [&](const WorkerConfig& wc, WorkerCategory cat) -> Result<std::unique_ptr<Worker>> {
    auto w = registry_.Create(wc);
    if (!w.ok()) return w.status().WithContext(origin_ + ": " + wc.yaml_path);
    if ((*w)->category() != cat)
      return Status::Internal(origin_ + ": " + wc.yaml_path + ": plugin '" + wc.plugin +
                              "' created a worker of the wrong category");
    return std::move(w).value();
  };
  for (const auto& wc : bp.context_workers) {
    auto w = make(wc, WorkerCategory::kContext);
    if (!w.ok()) return w.status();
    context_.emplace_back(static_cast<ContextWorker*>(w->release()));
  }
  for (const auto& wc : bp.opportunity_workers) {
    auto w = make(wc, WorkerCategory::kOpportunity);
    if (!w.ok()) return w.status();
    opportunity_.emplace_back(static_cast<OpportunityWorker*>(w->release()));
    opportunity_cfg_.push_back(&wc);
  }
  for (const auto& wc : bp.threat_workers) {
    auto w = make(wc, WorkerCategory::kThreat);
    if (!w.ok()) return w.status();
    threat_.emplace_back(static_cast<ThreatWorker*>(w->release()));
    threat_cfg_.push_back(&wc);
  }
  for (int p = 0; p < kPlanningPhaseCount; ++p) {
    for (const auto& wc : bp.planning_workers[p]) {
      auto w = make(wc, WorkerCategory::kPlanning);
      if (!w.ok()) return w.status();
      planning_[p].emplace_back(static_cast<PlanningWorker*>(w->release()));
      planning_cfg_[p].push_back(&wc);
    }
  }
  for (const auto& g : bp.execution_workers) {
    for (const auto& wc : g.workers) {
      auto w = make(wc, WorkerCategory::kExecution);
      if (!w.ok()) return w.status();
      execution_.emplace_back(static_cast<ExecutionWorker*>(w->release()));
      execution_cfg_.push_back(&wc);
    }
  }
  return Status::Ok();
}

std::vector<std::string> Run::TriggersOf(const WorkerConfig& wc) const {
  if (!wc.triggers.empty()) return wc.triggers;
  const PluginManifest* m = registry_.Find(wc.plugin);
  if (m && m->event_driven && !m->wirings.empty()) return m->wirings;
  if (m && !m->default_triggers.empty()) return m->default_triggers;
  return {"on_context_ready"};
}

Status Run::Subscribe(const WorkerConfig& wc, uint16_t index,
                      std::vector<std::vector<uint16_t>>& subs) {
  for (const auto& name : TriggersOf(wc)) {
    EventId id = events_.Intern(name);
    if (subs.size() <= id) subs.resize(id + 1);
    subs[id].push_back(index);
  }
  return Status::Ok();
}

Status Run::BindWorkers() {
  const bool chain =
      link_.operators[OperatorId::kContext].aggregation == AggregationStrategy::kChainThrough;
  // ContextOperator: bind and compute in blueprint order.
  for (size_t i = 0; i < context_.size(); ++i) {
    BindContext ctx{frame_, events_,
                    chain ? static_cast<ColumnId>(frame_.column_count()) : kBarColumnCount, origin_,
                    link_.blueprint.context_workers[i].yaml_path};
    S1MPLE_RETURN_IF_ERROR(context_[i]->Bind(ctx));
    Status s = context_[i]->Compute(frame_);
    if (!s.ok())
      return s.WithContext(origin_ + ": " + link_.blueprint.context_workers[i].yaml_path);
  }
  auto bind = [&](Worker& w, const WorkerConfig& wc) {
    BindContext ctx{frame_, events_, static_cast<ColumnId>(frame_.column_count()), origin_,
                    wc.yaml_path};
    Status s = w.Bind(ctx);
    return s.ok() || s.message().rfind(origin_, 0) == 0
               ? s
               : s.WithContext(origin_ + ": " + wc.yaml_path);
  };
  for (size_t i = 0; i < opportunity_.size(); ++i)
    S1MPLE_RETURN_IF_ERROR(bind(*opportunity_[i], *opportunity_cfg_[i]));
  for (size_t i = 0; i < threat_.size(); ++i)
    S1MPLE_RETURN_IF_ERROR(bind(*threat_[i], *threat_cfg_[i]));
  for (int p = 0; p < kPlanningPhaseCount; ++p)
    for (size_t i = 0; i < planning_[p].size(); ++i)
      S1MPLE_RETURN_IF_ERROR(bind(*planning_[p][i], *planning_cfg_[p][i]));
  for (size_t i = 0; i < execution_.size(); ++i)
    S1MPLE_RETURN_IF_ERROR(bind(*execution_[i], *execution_cfg_[i]));
  for (size_t i = 0; i < opportunity_.size(); ++i)
    S1MPLE_RETURN_IF_ERROR(Subscribe(*opportunity_cfg_[i], static_cast<uint16_t>(i), opp_subs_));
  for (size_t i = 0; i < threat_.size(); ++i)
    S1MPLE_RETURN_IF_ERROR(Subscribe(*threat_cfg_[i], static_cast<uint16_t>(i), threat_subs_));
  for (size_t i = 0; i < execution_.size(); ++i)
    S1MPLE_RETURN_IF_ERROR(Subscribe(*execution_cfg_[i], static_cast<uint16_t>(i), exec_subs_));
  // Planners see events only when they are event-driven (manifest wirings) or the blueprint
  // gives them triggers; a StandardWorker planner sits in the implicit pipeline (Plan() only).
  for (int p = 0; p < kPlanningPhaseCount; ++p) {
    for (size_t i = 0; i < planning_[p].size(); ++i) {
      const WorkerConfig& wc = *planning_cfg_[p][i];
      const PluginManifest* m = registry_.Find(wc.plugin);
      if (wc.triggers.empty() && !(m && m->event_driven)) continue;
      for (const auto& name : TriggersOf(wc)) {
        EventId id = events_.Intern(name);
        if (plan_subs_.size() <= id) plan_subs_.resize(id + 1);
        plan_subs_[id].emplace_back(static_cast<uint8_t>(p), static_cast<uint16_t>(i));
      }
    }
  }
  const size_t n = events_.size();
  plan_subs_.resize(n);
  opp_subs_.resize(n);
  threat_subs_.resize(n);
  exec_subs_.resize(n);
  standing_.resize(threat_.size());
  for (auto& s : standing_) s.reserve(8);
  listeners_.assign(n, 0);
  for (size_t id = 0; id < n; ++id)
    listeners_[id] = static_cast<uint8_t>((threat_subs_[id].empty() ? 0 : kListensThreat) |
                                          (opp_subs_[id].empty() ? 0 : kListensOpportunity) |
                                          (exec_subs_[id].empty() ? 0 : kListensExecution) |
                                          (plan_subs_[id].empty() ? 0 : kListensPlanning));
  return Status::Ok();
}

// ---- exchange ---------------------------------------------------------------------------------

// Opens or adds to the position. False when the order is against the open position (dropped:
// the gate never plans against it).
bool Run::FillEntry(const Order& o, double price, uint32_t t) {
  PositionView& p = ledger_.position;
  const double fee = Fee(o.size * price);
  if (p.open && p.side != o.side) return false;
  if (!p.open) {
    p = PositionView{};
    p.open = true;
    p.side = o.side;
    p.entry_price = price;
    p.size = o.size;
    p.opportunity = o.opportunity;
    p.entry_bar = t;
    entry_ts_ = bars_.ts_ms[t];
    entry_fees_open_ = 0;
  } else {
    p.entry_price = (p.entry_price * p.size + price * o.size) / (p.size + o.size);
    p.size += o.size;
  }
  p.initial_size = p.size;
  if (!std::isnan(o.stop_loss)) p.stop_loss = o.stop_loss;
  if (!std::isnan(o.take_profit)) p.take_profit = o.take_profit;
  entry_fees_open_ += fee;
  ledger_.cash -= Sign(o.side) * o.size * price + fee;
  Push(kOnOrderFilled, price, o.opportunity);
  return true;
}

// Reduces the position; `reason` becomes the trade's exit_reason. A complete close records the
// position's opportunity in closed_opportunity_ (its queued entries are cancelled by the caller:
// this may run inside the order loop).
void Run::FillExit(double size, double price, std::string_view reason, bool partial, uint32_t t) {
  PositionView& p = ledger_.position;
  if (!p.open || size <= 0) return;
  size = std::min(size, p.size);
  const double fee = Fee(size * price);
  const double entry_fee_share = entry_fees_open_ * (size / p.size);
  entry_fees_open_ -= entry_fee_share;
  ledger_.cash += Sign(p.side) * size * price - fee;
  const double pnl = Sign(p.side) * (price - p.entry_price) * size - fee - entry_fee_share;
  ledger_.realized_pnl += pnl;
  Trade tr;
  tr.entry_time = TimestampMs{entry_ts_};
  tr.exit_time = TimestampMs{bars_.ts_ms[t]};
  tr.entry_price = Price{p.entry_price};
  tr.exit_price = Price{price};
  tr.side = p.side;
  tr.size = Quantity{size};
  tr.pnl = Money{pnl};
  tr.fees = Money{fee + entry_fee_share};
  tr.opportunity = p.opportunity;
  tr.exit_reason = std::string(reason);
  tr.entry_bar = p.entry_bar;
  tr.exit_bar = t;
  result_.trades.push_back(std::move(tr));
  ++ledger_.closed_trades;
  p.size -= size;
  Push(kOnOrderFilled, price, p.opportunity);
  if (p.size <= p.initial_size * 1e-12) {
    Push(kOnPositionClosed, price, p.opportunity);
    closed_opportunity_ = p.opportunity;
    p = PositionView{};
    entry_fees_open_ = 0;
  } else if (partial) {
    ++p.partial_exits;
  }
}

// Entry orders of other opportunities stay. (While a position is open the gate plans no other
// opportunity, so today only the closed one's slices can be queued.)
void Run::CancelEntriesOf(OpportunityId opportunity) {
  orders_.erase(
      std::remove_if(orders_.begin(), orders_.end(),
                     [&](const Order& o) { return o.entry && o.opportunity == opportunity; }),
      orders_.end());
}

void Run::ProcessExchange(uint32_t t) {
  if (orders_.empty() && !ledger_.position.open) return;  // most bars of a waiting strategy
  const bool entered_intrabar = !orders_.empty() && FillOrders(t);
  if (ledger_.position.open) FillStopAndTarget(t, entered_intrabar);
  if (closed_opportunity_.v != 0) {
    CancelEntriesOf(closed_opportunity_);
    closed_opportunity_ = OpportunityId{};
  }
}

// 1. The orders due on bar t: exits first (market, at the open), then entries, each in
// submission order. Entries of an opportunity whose position the exits closed are dropped.
// Returns whether a limit or stop entry filled (intrabar).
bool Run::FillOrders(uint32_t t) {
  const double open = bars_.open[t], high = bars_.high[t], low = bars_.low[t];
  size_t keep = 0;
  for (size_t i = 0; i < orders_.size(); ++i) {
    const Order& o = orders_[i];
    if (o.entry || o.active_from > t) {
      if (keep != i) orders_[keep] = o;
      ++keep;
      continue;
    }
    FillExit(o.size, Slip(open, o.side == Side::kShort), o.reason, o.partial, t);
  }
  orders_.resize(keep);
  bool entered_intrabar = false;
  keep = 0;
  for (size_t i = 0; i < orders_.size(); ++i) {
    const Order& o = orders_[i];
    if (!o.entry || o.active_from > t) {
      if (keep != i) orders_[keep] = o;
      ++keep;
      continue;
    }
    if (o.expires_after < t) continue;                   // expired unfilled
    if (o.opportunity == closed_opportunity_) continue;  // its position closed this bar
    const bool buy = o.side == Side::kLong;
    double fill = kNaN;
    switch (o.type) {
      case OrderType::kMarket:
        fill = Slip(open, buy);
        break;
      case OrderType::kLimit:
        if (buy && low <= o.price) fill = std::min(open, o.price);
        if (!buy && high >= o.price) fill = std::max(open, o.price);
        break;
      case OrderType::kStop:
        if (buy && high >= o.price) fill = Slip(std::max(open, o.price), true);
        if (!buy && low <= o.price) fill = Slip(std::min(open, o.price), false);
        break;
    }
    if (std::isnan(fill)) {
      if (keep != i) orders_[keep] = o;
      ++keep;
      continue;
    }
    if (FillEntry(o, fill, t) && o.type != OrderType::kMarket) entered_intrabar = true;
  }
  orders_.resize(keep);
  return entered_intrabar;
}

// 2. The open position's stop and target, intrabar; both touched: the stop (adverse) first. On
// a bar where a limit or stop entry filled intrabar only the stop is checked: whether the
// target's price came after the entry's is unknown.
void Run::FillStopAndTarget(uint32_t t, bool entered_intrabar) {
  const PositionView& p = ledger_.position;
  const double open = bars_.open[t], high = bars_.high[t], low = bars_.low[t];
  const bool is_long = p.side == Side::kLong;
  const bool stop_hit =
      !std::isnan(p.stop_loss) && (is_long ? low <= p.stop_loss : high >= p.stop_loss);
  const bool target_hit = !entered_intrabar && !std::isnan(p.take_profit) &&
                          (is_long ? high >= p.take_profit : low <= p.take_profit);
  if (stop_hit) {
    const double px = is_long ? std::min(open, p.stop_loss) : std::max(open, p.stop_loss);
    FillExit(p.size, Slip(px, !is_long), "stop_loss", false, t);
  } else if (target_hit) {
    const double px = is_long ? std::max(open, p.take_profit) : std::min(open, p.take_profit);
    FillExit(p.size, px, "take_profit", false, t);
  }
}

void Run::MarkToMarket(uint32_t t, bool fills) {
  const PositionView& p = ledger_.position;
  const double equity = ledger_.cash + (p.open ? Sign(p.side) * p.size * bars_.close[t] : 0.0);
  bool changed = fills || equity != last_equity_;
  const int64_t day = DayOf(bars_.ts_ms[t]);
  if (day != current_day_) {
    ledger_.day_start_equity = last_equity_;
    current_day_ = day;
    changed = true;
  }
  ledger_.equity = equity;
  ledger_.peak_equity = std::max(ledger_.peak_equity, equity);
  ledger_.pending_orders = static_cast<uint32_t>(orders_.size());
  last_equity_ = equity;
  result_.equity.push_back(EquityPoint{TimestampMs{bars_.ts_ms[t]}, equity});  // reserved
  if (changed) {
    Push(kOnLedgerUpdate, equity);
  }
}

// ---- operators ----------------------------------------------------------------------------------

void Run::EmitOpportunity(uint16_t worker, Side side, double score, std::string_view type,
                          double ref, double lo, double hi) {
  Opportunity o;
  o.id = OpportunityId{next_opp_id_++};
  o.bar = current_bar_;
  o.side = side;
  o.score = score;
  o.signal_type = type;
  o.reference_price = ref;
  o.zone_low = lo;
  o.zone_high = hi;
  o.worker = worker;
  bar_opps_.push_back(o);
  ++result_.causality.opportunities_detected;
  Push(kOnOpportunityDetected, score, o.id);
}

void Run::RaiseThreat(uint16_t worker, std::string_view type, Severity sev, bool blocks,
                      double value) {
  Threat th;
  th.type = type;
  th.severity = sev;
  th.blocks_new_entries = blocks;
  th.value = value;
  th.worker = worker;
  // A threat the worker raised on its previous run too is the same threat (same id).
  for (const Threat& prev : prev_standing_) {
    if (prev.type == type) {
      th.id = prev.id;
      th.bar = prev.bar;
      break;
    }
  }
  if (th.id.v == 0) {
    th.id = ThreatId{next_threat_id_++};
    ++result_.causality.threats_detected;
    Push(kOnThreatDetected, static_cast<double>(static_cast<int>(sev)), {}, th.id);
  }
  standing_[worker].push_back(th);
  group_threats_.push_back(th);
}

void Run::RebuildActiveThreats() {
  active_threats_.clear();
  for (const auto& s : standing_) active_threats_.insert(active_threats_.end(), s.begin(), s.end());
}

void Run::RunThreats(const Event& e, uint32_t t) {
  const auto& subs = threat_subs_[e.id];
  if (subs.empty()) return;
  const OperatorConfig& op = link_.operators[OperatorId::kThreat];
  const BarContext bar = MakeBar(t, &e);
  group_threats_.clear();
  threat_sink_.chain = op.aggregation == AggregationStrategy::kChainThrough;
  bool standing = !active_threats_.empty();  // anything stood before, or stands now
  for (uint16_t w : subs) {
    prev_standing_.assign(standing_[w].begin(), standing_[w].end());
    standing_[w].clear();
    threat_sink_.worker = w;
    threat_[w]->Assess(bar, threat_sink_);
    standing = standing || !standing_[w].empty();
  }
  if (standing) RebuildActiveThreats();
}

void Run::RunOpportunities(const Event& e, uint32_t t) {
  const auto& subs = opp_subs_[e.id];
  if (subs.empty()) return;
  const OperatorConfig& op = link_.operators[OperatorId::kOpportunity];
  const BarContext bar = MakeBar(t, &e);
  const size_t start = bar_opps_.size();
  opp_sink_.chain = op.aggregation == AggregationStrategy::kChainThrough;
  opp_sink_.group_start = start;
  for (uint16_t w : subs) {
    opp_sink_.worker = w;
    opportunity_[w]->Detect(bar, opp_sink_);
  }
  if (op.aggregation == AggregationStrategy::kCollectAll &&
      bar_opps_.size() - start > 1)  // best first, ties in emission order
    std::stable_sort(bar_opps_.begin() + static_cast<std::ptrdiff_t>(start), bar_opps_.end(),
                     [](const Opportunity& a, const Opportunity& b) { return a.score > b.score; });
}

void Run::ApplyActions(const ActionSet& a, uint32_t t) {
  PositionView& p = ledger_.position;
  if (a.cancel_entries)
    orders_.erase(
        std::remove_if(orders_.begin(), orders_.end(), [](const Order& o) { return o.entry; }),
        orders_.end());
  if (!p.open) return;
  if (a.set_stop) p.stop_loss = a.stop;
  if (a.set_target) p.take_profit = a.target;
  if (a.close_fraction > 0) {
    double queued = 0;
    for (const Order& o : orders_)
      if (!o.entry) queued += o.size;
    const double size = std::min(p.size - queued, p.size * a.close_fraction);
    if (size > 0) {
      Order o;
      o.entry = false;
      o.side = p.side;
      o.size = size;
      o.active_from = t + 1;
      o.expires_after = UINT32_MAX;
      o.partial = a.close_fraction < 1.0;
      // The worker's reason (a literal or a string it owns: it outlives the run), else ours.
      o.reason = !a.reason.empty() ? a.reason
                 : o.partial       ? std::string_view("partial_exit")
                                   : std::string_view("close");
      orders_.push_back(o);
    }
  }
}

void Run::RunExecution(const Event& e, uint32_t t) {
  const auto& subs = exec_subs_[e.id];
  if (subs.empty()) return;
  const OperatorConfig& op = link_.operators[OperatorId::kExecution];
  const BarContext bar = MakeBar(t, &e);
  if (op.aggregation == AggregationStrategy::kCollectAll) {
    // Every worker sees the same position; the merged action: the most protective stop, the
    // first target set, the largest close, any cancel.
    ActionSet merged;
    const bool is_long = ledger_.position.side == Side::kLong;
    for (uint16_t w : subs) {
      actions_.set = ActionSet{};
      execution_[w]->Manage(bar, actions_);
      const ActionSet& a = actions_.set;
      if (a.set_stop && !std::isnan(a.stop)) {
        if (!merged.set_stop || (is_long ? a.stop > merged.stop : a.stop < merged.stop)) {
          merged.set_stop = true;
          merged.stop = a.stop;
        }
      }
      if (a.set_target && !merged.set_target) {
        merged.set_target = true;
        merged.target = a.target;
      }
      if (a.close_fraction > merged.close_fraction) {
        merged.close_fraction = a.close_fraction;
        merged.reason = a.reason;
      }
      merged.cancel_entries = merged.cancel_entries || a.cancel_entries;
    }
    ApplyActions(merged, t);
    return;
  }
  // CHAIN_THROUGH and NONE: each worker's actions take effect before the next worker runs.
  for (uint16_t w : subs) {
    actions_.set = ActionSet{};
    execution_[w]->Manage(bar, actions_);
    ApplyActions(actions_.set, t);
  }
}

void Run::Dispatch(const Event& e, uint32_t t) {
  const uint8_t who = listeners_[e.id];
  if (who & kListensThreat) RunThreats(e, t);
  if (who & kListensOpportunity) RunOpportunities(e, t);
  if (who & kListensExecution) RunExecution(e, t);
  if (who & kListensPlanning) RunPlanningEvents(e, t);
}

void Run::DrainBus(uint32_t t) {
  Push(kOnContextReady, kNaN);
  while (queue_head_ < queue_size_ && !storm_) {
    // By reference: the queue is a fixed array (Push never moves it), and copying a just-written
    // Event as a whole would stall on store forwarding.
    const Event& ev = queue_[queue_head_++];
    Dispatch(ev, t);
  }
}

void Run::RunPlanningEvents(const Event& e, uint32_t t) {
  const auto& subs = plan_subs_[e.id];
  if (subs.empty()) return;
  const BarContext bar = MakeBar(t, &e);
  for (const auto& [phase, index] : subs) planning_[phase][index]->OnEvent(bar, e);
}

// ---- planning -----------------------------------------------------------------------------------

void Run::Reject(const Opportunity& opp, std::string_view reason, ThreatId threat) {
  OpportunityRecord rec;
  rec.id = opp.id;
  rec.bar = opp.bar;
  rec.side = opp.side;
  rec.signal_type = std::string(opp.signal_type);
  rec.accepted = false;
  rec.reject_reason = std::string(reason);
  rec.threat = threat;
  result_.opportunities.push_back(std::move(rec));
  ++result_.causality.opportunities_rejected;
  auto it = std::find_if(rejections_.begin(), rejections_.end(),
                         [&](const auto& r) { return r.first == reason; });
  if (it == rejections_.end())
    rejections_.emplace_back(reason, 1);
  else
    ++it->second;
}

namespace {
bool SameValue(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}
}  // namespace

void Run::RunPlanningPhase(int phase, const PlanningInput& in, TradePlan& plan) {
  auto& workers = planning_[phase];
  if (workers.empty()) {
    if (phase == static_cast<int>(PlanningPhase::kEntry)) {  // default: market at the next open
      plan.entry_type = OrderType::kMarket;
      plan.entry_price = kNaN;
    }
    return;
  }
  const OperatorConfig& op = link_.operators[OperatorId::kPlanning];
  if (op.aggregation != AggregationStrategy::kCollectAll) {
    for (auto& w : workers) {  // CHAIN_THROUGH / NONE: each refines the plan in turn
      w->Plan(in, plan);
      if (plan.rejected) return;
    }
    return;
  }
  // COLLECT_ALL: every worker plans from the same input; merge field by field (see
  // docs/CONFIGURATION.md): entry and routing from the first worker that set them, the stop and
  // the target nearest the expected entry, the smallest size, any rejection wins.
  const TradePlan base = plan;
  TradePlan merged = base;
  bool entry_set = false, routing_set = false;
  for (auto& w : workers) {
    TradePlan out = base;
    w->Plan(in, out);
    if (out.rejected) {
      if (!merged.rejected) merged.Reject(out.reject_reason);
      continue;
    }
    const double ref = std::isnan(out.reference_price) ? in.bar->Close() : out.reference_price;
    if (!entry_set &&
        (out.entry_type != base.entry_type || !SameValue(out.entry_price, base.entry_price) ||
         !SameValue(out.reference_price, base.reference_price))) {
      merged.entry_type = out.entry_type;
      merged.entry_price = out.entry_price;
      merged.reference_price = out.reference_price;
      entry_set = true;
    }
    if (!SameValue(out.stop_loss, base.stop_loss) && !std::isnan(out.stop_loss) &&
        (SameValue(merged.stop_loss, base.stop_loss) ||
         std::fabs(ref - out.stop_loss) < std::fabs(ref - merged.stop_loss)))
      merged.stop_loss = out.stop_loss;
    if (!SameValue(out.take_profit, base.take_profit) && !std::isnan(out.take_profit) &&
        (SameValue(merged.take_profit, base.take_profit) ||
         std::fabs(ref - out.take_profit) < std::fabs(ref - merged.take_profit)))
      merged.take_profit = out.take_profit;
    if (out.size != base.size && out.size > 0 &&
        (merged.size == base.size || out.size < merged.size))
      merged.size = out.size;
    if (!routing_set && (out.expiry_bars != base.expiry_bars || out.slices != base.slices ||
                         out.slice_interval_bars != base.slice_interval_bars)) {
      merged.expiry_bars = out.expiry_bars;
      merged.slices = out.slices;
      merged.slice_interval_bars = out.slice_interval_bars;
      routing_set = true;
    }
  }
  plan = merged;
}

void Run::PlanOne(const Opportunity& opp, uint32_t t) {
  if (opp.vetoed) return Reject(opp, "VETOED", ThreatId{});
  for (const Threat& th : active_threats_)
    if (th.blocks_new_entries) return Reject(opp, th.type, th.id);
  if (ledger_.position.open) return Reject(opp, "POSITION_OPEN", ThreatId{});
  for (const Order& o : orders_)
    if (o.entry) return Reject(opp, "ENTRY_PENDING", ThreatId{});

  const BarContext bar = MakeBar(t, nullptr);
  TradePlan plan;
  plan.opportunity = opp.id;
  plan.side = opp.side;
  plan.reference_price = std::isnan(opp.reference_price) ? bars_.close[t] : opp.reference_price;
  PlanningInput in{&bar, &opp, PlanningPhase::kEntry};
  for (int p = 0; p < kPlanningPhaseCount && !plan.rejected; ++p) {
    in.phase = static_cast<PlanningPhase>(p);
    RunPlanningPhase(p, in, plan);
  }
  if (plan.rejected)
    return Reject(opp, plan.reject_reason.empty() ? "PLAN_REJECTED" : plan.reject_reason, {});
  const double ref = std::isnan(plan.reference_price) ? bars_.close[t] : plan.reference_price;
  const double sgn = Sign(plan.side);
  if (!(plan.size > 0) || !std::isfinite(plan.size)) return Reject(opp, "NO_SIZE", {});
  if (plan.entry_type != OrderType::kMarket && !(plan.entry_price > 0))
    return Reject(opp, "NO_ENTRY_PRICE", {});
  if (!std::isnan(plan.stop_loss) && sgn * (ref - plan.stop_loss) <= 0)
    return Reject(opp, "INVALID_STOP", {});
  if (!std::isnan(plan.take_profit) && sgn * (plan.take_profit - ref) <= 0)
    return Reject(opp, "INVALID_TARGET", {});

  const int slices = std::max(1, plan.slices);
  const int interval = std::max(1, plan.slice_interval_bars);
  for (int k = 0; k < slices; ++k) {
    Order o;
    o.entry = true;
    o.type = plan.entry_type;
    o.side = plan.side;
    o.price = plan.entry_price;
    o.size = plan.size / slices;
    o.stop_loss = plan.stop_loss;
    o.take_profit = plan.take_profit;
    o.opportunity = opp.id;
    o.active_from = t + 1 + static_cast<uint32_t>(k * interval);
    o.expires_after = plan.expiry_bars > 0 && plan.entry_type != OrderType::kMarket
                          ? o.active_from + static_cast<uint32_t>(plan.expiry_bars) - 1
                          : UINT32_MAX;
    orders_.push_back(o);
  }
  OpportunityRecord rec;
  rec.id = opp.id;
  rec.bar = opp.bar;
  rec.side = opp.side;
  rec.signal_type = std::string(opp.signal_type);
  rec.accepted = true;
  result_.opportunities.push_back(std::move(rec));
}

void Run::PlanOpportunities(uint32_t t) {
  for (const Opportunity& o : bar_opps_) PlanOne(o, t);
}

// ---- the run ------------------------------------------------------------------------------------

void Run::Finish(BacktestResult& r) {
  // Close what is still open at the last traded close (fee, no slippage) and re-mark that bar.
  const uint32_t last = end_ - 1;
  if (ledger_.position.open) {
    FillExit(ledger_.position.size, bars_.close[last], "end_of_data", false, last);
    r.equity.back().equity = ledger_.cash;
  }
  r.name = link_.name;
  r.bars = end_ - begin_;
  r.period_start = TimestampMs{bars_.ts_ms[begin_]};
  r.period_end = TimestampMs{bars_.ts_ms[last]};
  r.metrics = ComputeMetrics(r.equity, r.trades, env_.periods_per_year);
  std::sort(rejections_.begin(), rejections_.end());  // by name, as ties are documented
  std::vector<RejectionCount> reasons;
  for (const auto& [reason, count] : rejections_) reasons.push_back({std::string(reason), count});
  std::stable_sort(reasons.begin(), reasons.end(),
                   [](const auto& a, const auto& b) { return a.count > b.count; });
  r.causality.top_rejection_reasons = std::move(reasons);
  if (r.bars < 1000)
    r.warnings.push_back("only " + std::to_string(r.bars) +
                         " bars traded (fewer than 1000): metrics are not meaningful");
  if (options_.capture_context) {
    for (ColumnId c = 0; c < frame_.column_count(); ++c) {
      r.context_names.push_back(frame_.Name(c));
      auto col = frame_.Column(c);
      r.context_columns.emplace_back(col.begin() + begin_, col.begin() + end_);
    }
  }
}

Result<BacktestResult> Run::Execute() {
  if (bars_.empty()) return Status::InvalidArgument("no bars to run on");
  // The traded window.
  const auto& ts = bars_.ts_ms;
  begin_ = 0;
  end_ = static_cast<uint32_t>(bars_.size());
  if (env_.period.start)
    begin_ = static_cast<uint32_t>(std::lower_bound(ts.begin(), ts.end(), env_.period.start->v) -
                                   ts.begin());
  if (env_.period.end)
    end_ = static_cast<uint32_t>(std::upper_bound(ts.begin(), ts.end(), env_.period.end->v) -
                                 ts.begin());
  if (begin_ >= end_)
    return Status::InvalidArgument("period selects no bars (the data covers " +
                                   FormatIsoTimestamp(TimestampMs{ts.front()}) + " .. " +
                                   FormatIsoTimestamp(TimestampMs{ts.back()}) + ")");
  S1MPLE_RETURN_IF_ERROR(CreateWorkers());
  S1MPLE_RETURN_IF_ERROR(BindWorkers());

  // Preallocate everything the loop touches.
  result_.equity.reserve(end_ - begin_);
  queue_ = std::make_unique<Event[]>(std::max<uint32_t>(1, options_.max_events_per_bar));
  bar_opps_.reserve(64);
  group_threats_.reserve(64);
  prev_standing_.reserve(16);
  active_threats_.reserve(64);
  orders_.reserve(64);
  result_.trades.reserve(256);
  result_.opportunities.reserve(256);

  ledger_.cash = env_.initial_capital;
  ledger_.equity = ledger_.peak_equity = ledger_.day_start_equity = env_.initial_capital;
  last_equity_ = env_.initial_capital;
  current_day_ = DayOf(ts[begin_]);

  for (uint32_t t = begin_; t < end_; ++t) {
    current_bar_ = t;
    queue_size_ = queue_head_ = 0;
    bar_opps_.clear();
    const size_t trades_before = result_.trades.size();
    const uint32_t orders_before = static_cast<uint32_t>(orders_.size());
    ProcessExchange(t);
    const bool fills = result_.trades.size() != trades_before || orders_.size() != orders_before;
    MarkToMarket(t, fills);
    DrainBus(t);
    if (storm_)
      return Status::InvalidArgument(
          origin_ + ": event storm at bar " + std::to_string(t) + " (" +
          FormatIsoTimestamp(TimestampMs{ts[t]}) + "): more than " +
          std::to_string(options_.max_events_per_bar) +
          " events in one bar; do workers trigger each other in a cycle?");
    if (!bar_opps_.empty()) PlanOpportunities(t);
  }
  Finish(result_);
  return std::move(result_);
}

}  // namespace

Result<BacktestResult> RunBacktest(const StrategyLink& link, const BarSeries& bars,
                                   const RunOptions& options) {
  try {
    Run run(link, bars, options);
    return run.Execute();
  } catch (const std::exception& e) {
    return Status::Internal("backtest '" + link.name + "' failed: " + e.what());
  }
}

}  // namespace s1mple::engine
