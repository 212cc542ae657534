// RunBacktest: the wiring of one strategy link's run and its bar loop. The concepts it wires live
// in their own headers: the event bus (engine/event_bus.h), the simulated exchange
// (engine/exchange.h), the ledger (engine/ledger.h), the operators' merge rules
// (engine/operators.h), the threat gate and the record of rejections (engine/threat_gate.h), the
// planner (engine/planner.h). Here: creating and binding the workers, subscribing them to their
// events, the sinks workers write into, running each operator's workers on an event, and the
// per-bar order of docs/CONFIGURATION.md ("The bar loop").
//
// One Run per RunBacktest call, on the caller's thread: nothing is shared between runs, so there
// is no mutex and no thread-safety annotation here.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "engine/calendar.h"
#include "engine/event_bus.h"
#include "engine/exchange.h"
#include "engine/ledger.h"
#include "engine/operation.h"
#include "engine/operators.h"
#include "engine/planner.h"
#include "engine/threat_gate.h"
#include "engine/worker.h"

namespace s1mple::engine {

namespace {

class Run {
 public:
  Run(const StrategyLink& link, const BarSeries& bars, const RunOptions& options)
      : link_(link),
        bars_(bars),
        options_(options),
        registry_(link.registry      ? *link.registry
                  : options.registry ? *options.registry
                                     : DefaultRegistry()),
        frame_(bars),
        env_(link.environment),
        origin_(link.blueprint_path.empty() ? "blueprint '" + link.blueprint.name + "'"
                                            : link.blueprint_path.string()),
        ledger_(bars, Money{link.environment.initial_capital}),
        exchange_(bars, link.environment, ledger_, bus_),
        planner_(planning_, link.operators[OperatorId::kPlanning]),
        opp_sink_(this),
        threat_sink_(this),
        actions_(this) {}

  Result<BacktestResult> Execute();

 private:
  // ---- sinks handed to workers --------------------------------------------------------------
  class Publisher final : public EventPublisher {
   public:
    explicit Publisher(Run* r) : r_(r) {}
    void Publish(EventId id, double value) override { r_->bus_.Push(id, value); }

   private:
    Run* r_;
  };

  class OppSink final : public OpportunitySink {
   public:
    explicit OppSink(Run* r) : r_(r), pub_(r) {}
    void Emit(Side side, double score, std::string_view type, std::optional<Price> ref,
              std::optional<Price> lo, std::optional<Price> hi) override {
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
    explicit Actions(Run* r) : pub_(r) {}
    void MoveStop(std::optional<Price> price) override {
      set.set_stop = true;
      set.stop = PriceOrNone(price);
    }
    void SetTarget(std::optional<Price> price) override {
      set.set_target = true;
      set.target = PriceOrNone(price);
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
    Publisher pub_;
  };

  // ---- setup: the workforce and its wiring ---------------------------------------------------
  Status CreateWorkers();
  Status BindWorkers();
  std::string ContextKey(bool chain) const;
  std::vector<std::string> TriggersOf(const WorkerConfig& wc) const;
  void Subscribe(const WorkerConfig& wc, WorkerCategory category, uint16_t index);
  BindContext BindContextFor(const WorkerConfig& wc, ColumnId visible) {
    return BindContext{frame_, events_, visible, origin_, wc.yaml_path, wc.plugin};
  }
  void AttachTimers();

  // ---- per bar ----------------------------------------------------------------------------------
  void Dispatch(const Event& e, uint32_t t);
  void DrainBus(uint32_t t);
  void RunThreats(const Event& e, uint32_t t);
  void RunOpportunities(const Event& e, uint32_t t);
  void RunExecution(const Event& e, uint32_t t);
  void RunPlanningEvents(const Event& e, uint32_t t);
  void PlanOpportunities(uint32_t t);
  uint32_t QuietUntil(uint32_t from);
  void EmitOpportunity(uint16_t worker, Side side, double score, std::string_view type,
                       std::optional<Price> ref, std::optional<Price> lo, std::optional<Price> hi);
  void RaiseThreat(uint16_t worker, std::string_view type, Severity sev, bool blocks, double value);
  BarContext MakeBar(uint32_t t, const Event* e) const {
    BarContext b;
    b.bar = t;
    b.ts = TimestampMs{bars_.ts_ms[t]};
    b.frame = &frame_;
    b.ledger = &ledger_.view();
    b.event = e;
    b.threats = gate_.active();
    return b;
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
  EventBus bus_;
  Ledger ledger_;
  Exchange exchange_;
  ThreatGate gate_;
  RejectionLog rejections_;

  std::vector<std::unique_ptr<ContextWorker>> context_;
  std::vector<std::unique_ptr<OpportunityWorker>> opportunity_;
  std::vector<std::unique_ptr<ThreatWorker>> threat_;
  Planner::Workers planning_;
  std::vector<std::unique_ptr<ExecutionWorker>> execution_;
  std::vector<const WorkerConfig*> opportunity_cfg_, threat_cfg_, execution_cfg_;
  std::array<std::vector<const WorkerConfig*>, kPlanningPhaseCount> planning_cfg_;
  Planner planner_;

  OppSink opp_sink_;
  ThreatSinkImpl threat_sink_;
  Actions actions_;

  // Bar state.
  std::vector<Opportunity> bar_opps_;
  std::vector<Threat> group_threats_;  // raised in the current threat step (CHAIN_THROUGH)
  uint32_t begin_ = 0, end_ = 0;       // traded bars [begin_, end_)
  uint32_t current_bar_ = 0;
  // Quiet bars (engine/worker.h NextActiveBar): skipping is possible in this run (only
  // opportunity and execution workers hear on_context_ready, nobody is timed), and whether
  // anybody hears on_ledger_update.
  bool quiet_ = false;
  bool ledger_heard_ = false;

  // Output.
  uint32_t next_opp_id_ = 1;
  BacktestResult result_;
  // RunOptions::time_workers: one per worker, blueprint order, with what it measures.
  std::vector<WorkerStats> stats_;
  std::vector<std::pair<WorkerCategory, const WorkerConfig*>> stats_of_;
};

Status Run::CreateWorkers() {
  const BlueprintConfig& bp = link_.blueprint;
  auto make = [&](const WorkerConfig& wc, WorkerCategory cat) -> Result<std::unique_ptr<Worker>> {
    Result<std::unique_ptr<Worker>> w = Status::Internal("");
    try {
      w = registry_.Create(wc);
    } catch (const std::exception& e) {  // the plugin's factory threw
      return Status::Internal(origin_ + ": " + wc.yaml_path + " (" + wc.plugin +
                              "): threw: " + e.what());
    }
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
  if (options_.time_workers) AttachTimers();
  return Status::Ok();
}

// One WorkerStats per worker, in blueprint order; sized once, so the pointers stay valid.
void Run::AttachTimers() {
  std::vector<std::pair<Worker*, std::pair<WorkerCategory, const WorkerConfig*>>> all;
  for (size_t i = 0; i < context_.size(); ++i)
    all.push_back(
        {context_[i].get(), {WorkerCategory::kContext, &link_.blueprint.context_workers[i]}});
  for (size_t i = 0; i < opportunity_.size(); ++i)
    all.push_back({opportunity_[i].get(), {WorkerCategory::kOpportunity, opportunity_cfg_[i]}});
  for (size_t i = 0; i < threat_.size(); ++i)
    all.push_back({threat_[i].get(), {WorkerCategory::kThreat, threat_cfg_[i]}});
  for (int p = 0; p < kPlanningPhaseCount; ++p)
    for (size_t i = 0; i < planning_[p].size(); ++i)
      all.push_back({planning_[p][i].get(), {WorkerCategory::kPlanning, planning_cfg_[p][i]}});
  for (size_t i = 0; i < execution_.size(); ++i)
    all.push_back({execution_[i].get(), {WorkerCategory::kExecution, execution_cfg_[i]}});
  stats_.assign(all.size(), WorkerStats{});
  for (size_t i = 0; i < all.size(); ++i) {
    all[i].first->TimeInto(&stats_[i]);
    stats_of_.push_back(all[i].second);
  }
}

std::vector<std::string> Run::TriggersOf(const WorkerConfig& wc) const {
  if (!wc.triggers.empty()) return wc.triggers;
  const PluginManifest* m = registry_.Find(wc.plugin);
  if (m && m->event_driven && !m->wirings.empty()) return m->wirings;
  if (m && !m->default_triggers.empty()) return m->default_triggers;
  return {"on_context_ready"};
}

void Run::Subscribe(const WorkerConfig& wc, WorkerCategory category, uint16_t index) {
  for (const auto& name : TriggersOf(wc)) bus_.Subscribe(category, events_.Intern(name), index);
}

// The context phase's key in the column cache: the aggregation, then every context worker in
// order with its plugin's package and every parameter (doubles exactly, strings with their
// lengths), so two keys are equal only when the phase computes the same columns.
std::string Run::ContextKey(bool chain) const {
  std::string key = options_.column_cache_key;
  key += chain ? "ctx|chain" : "ctx|bars";
  auto text = [&key](std::string_view v) {
    key += std::to_string(v.size());
    key += ':';
    key += v;
  };
  for (const WorkerConfig& wc : link_.blueprint.context_workers) {
    key += "|";
    text(wc.plugin);
    const PluginManifest* m = registry_.Find(wc.plugin);
    text(m ? m->package : "?");
    for (const auto& [name, value] : wc.params.items()) {
      text(name);
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, bool>) {
              key += v ? "T" : "F";
            } else if constexpr (std::is_same_v<T, int64_t>) {
              key += 'i';
              key += std::to_string(v);
            } else if constexpr (std::is_same_v<T, double>) {
              char buf[64];
              auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::hex);
              key += "d";
              key.append(buf, r.ptr);
            } else if constexpr (std::is_same_v<T, std::string>) {
              key += "s";
              text(v);
            } else {
              key += 'l';
              key += std::to_string(v.size());
              for (const auto& item : v) text(item);
            }
          },
          value);
    }
  }
  return key;
}

Status Run::BindWorkers() {
  const bool chain =
      link_.operators[OperatorId::kContext].aggregation == AggregationStrategy::kChainThrough;
  const bool cache = options_.column_cache && !options_.column_cache_key.empty();
  if (cache) frame_.UseCache(options_.column_cache, options_.column_cache_key);
  // ContextOperator: bind and compute in blueprint order, unless another job of this process
  // computed the same phase on the same bars: then its columns, shared (engine/column_cache.h).
  const std::string context_key = cache && !context_.empty() ? ContextKey(chain) : "";
  const ColumnCache::Entry* hit =
      context_key.empty() ? nullptr : options_.column_cache->Find(context_key);
  if (hit) {
    for (size_t i = 0; i < hit->names.size(); ++i) {
      auto id = frame_.AddShared(hit->names[i], hit->columns[i]);
      if (!id.ok()) return id.status().WithContext(origin_ + ": context_workers (cached)");
    }
  }
  for (size_t i = 0; !hit && i < context_.size(); ++i) {
    const WorkerConfig& wc = link_.blueprint.context_workers[i];
    BindContext ctx =
        BindContextFor(wc, chain ? static_cast<ColumnId>(frame_.column_count()) : kBarColumnCount);
    S1MPLE_RETURN_IF_ERROR(context_[i]->Bind(ctx));
    Status s = context_[i]->Compute(frame_);
    if (!s.ok())
      return s.message().rfind(origin_, 0) == 0 ? s : s.WithContext(origin_ + ": " + wc.yaml_path);
  }
  if (!hit && !context_key.empty()) {
    ColumnCache::Entry entry;
    for (ColumnId c = kBarColumnCount; c < frame_.column_count(); ++c) {
      entry.names.push_back(frame_.Name(c));
      entry.columns.push_back(frame_.Share(c));
    }
    options_.column_cache->Insert(context_key, std::move(entry));
  }
  auto bind = [&](Worker& w, const WorkerConfig& wc) {
    BindContext ctx = BindContextFor(wc, static_cast<ColumnId>(frame_.column_count()));
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
    Subscribe(*opportunity_cfg_[i], WorkerCategory::kOpportunity, static_cast<uint16_t>(i));
  for (size_t i = 0; i < threat_.size(); ++i)
    Subscribe(*threat_cfg_[i], WorkerCategory::kThreat, static_cast<uint16_t>(i));
  for (size_t i = 0; i < execution_.size(); ++i)
    Subscribe(*execution_cfg_[i], WorkerCategory::kExecution, static_cast<uint16_t>(i));
  // Planners see events only when they are event-driven (manifest wirings) or the blueprint
  // gives them triggers; a StandardWorker planner sits in the implicit pipeline (Plan() only).
  for (int p = 0; p < kPlanningPhaseCount; ++p) {
    for (size_t i = 0; i < planning_[p].size(); ++i) {
      const WorkerConfig& wc = *planning_cfg_[p][i];
      const PluginManifest* m = registry_.Find(wc.plugin);
      if (wc.triggers.empty() && !(m && m->event_driven)) continue;
      for (const auto& name : TriggersOf(wc))
        bus_.SubscribePlanner(events_.Intern(name), static_cast<uint8_t>(p),
                              static_cast<uint16_t>(i));
    }
  }
  bus_.Seal(events_.size(), options_.max_events_per_bar);
  gate_.Reset(threat_.size());
  constexpr uint8_t kQuietable = EventBus::kListensOpportunity | EventBus::kListensExecution;
  quiet_ = options_.quiet_bars && !options_.time_workers &&
           (bus_.listeners(kOnContextReady) & ~kQuietable) == 0;
  ledger_heard_ = bus_.listeners(kOnLedgerUpdate) != 0;
  return Status::Ok();
}

// ---- operators: running each category's workers on an event ------------------------------------

void Run::EmitOpportunity(uint16_t worker, Side side, double score, std::string_view type,
                          std::optional<Price> ref, std::optional<Price> lo,
                          std::optional<Price> hi) {
  Opportunity o;
  o.id = OpportunityId{next_opp_id_++};
  o.bar = current_bar_;
  o.side = side;
  o.score = score;
  o.signal_type = type;
  o.reference_price = PriceOrNone(ref);
  o.zone_low = PriceOrNone(lo);
  o.zone_high = PriceOrNone(hi);
  o.worker = worker;
  bar_opps_.push_back(o);
  ++result_.causality.opportunities_detected;
  bus_.Push(kOnOpportunityDetected, score, o.id);
}

void Run::RaiseThreat(uint16_t worker, std::string_view type, Severity sev, bool blocks,
                      double value) {
  bool is_new = false;
  const Threat& th = gate_.Raise(worker, current_bar_, type, sev, blocks, value, is_new);
  if (is_new) bus_.Push(kOnThreatDetected, static_cast<double>(static_cast<int>(sev)), {}, th.id);
  group_threats_.push_back(th);
}

void Run::RunThreats(const Event& e, uint32_t t) {
  const auto& subs = bus_.threat_workers(e.id);
  if (subs.empty()) return;
  const OperatorConfig& op = link_.operators[OperatorId::kThreat];
  const BarContext bar = MakeBar(t, &e);
  group_threats_.clear();
  threat_sink_.chain = op.aggregation == AggregationStrategy::kChainThrough;
  bool standing = gate_.any_active();  // anything stood before, or stands now
  for (uint16_t w : subs) {
    gate_.BeginAssessment(w);
    threat_sink_.worker = w;
    threat_[w]->Assess(bar, threat_sink_);
    standing = standing || gate_.Stands(w);
  }
  if (standing) gate_.Refresh();
}

void Run::RunOpportunities(const Event& e, uint32_t t) {
  const auto& subs = bus_.opportunity_workers(e.id);
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
  if (op.aggregation == AggregationStrategy::kCollectAll)
    RankByScore(std::span<Opportunity>(bar_opps_).subspan(start));
}

void Run::RunExecution(const Event& e, uint32_t t) {
  const auto& subs = bus_.execution_workers(e.id);
  if (subs.empty()) return;
  const OperatorConfig& op = link_.operators[OperatorId::kExecution];
  const BarContext bar = MakeBar(t, &e);
  if (op.aggregation == AggregationStrategy::kCollectAll) {
    ActionMerge merge(ledger_.position().side);
    for (uint16_t w : subs) {
      actions_.set = ActionSet{};
      execution_[w]->Manage(bar, actions_);
      merge.Add(actions_.set);
    }
    exchange_.Apply(merge.merged(), t);
    return;
  }
  // CHAIN_THROUGH and NONE: each worker's actions take effect before the next worker runs.
  for (uint16_t w : subs) {
    actions_.set = ActionSet{};
    execution_[w]->Manage(bar, actions_);
    exchange_.Apply(actions_.set, t);
  }
}

void Run::RunPlanningEvents(const Event& e, uint32_t t) {
  const auto& subs = bus_.planners(e.id);
  if (subs.empty()) return;
  const BarContext bar = MakeBar(t, &e);
  for (const auto& [phase, index] : subs) planning_[phase][index]->HandleEvent(bar, e);
}

void Run::Dispatch(const Event& e, uint32_t t) {
  const uint8_t who = bus_.listeners(e.id);
  if (who & EventBus::kListensThreat) RunThreats(e, t);
  if (who & EventBus::kListensOpportunity) RunOpportunities(e, t);
  if (who & EventBus::kListensExecution) RunExecution(e, t);
  if (who & EventBus::kListensPlanning) RunPlanningEvents(e, t);
}

void Run::DrainBus(uint32_t t) {
  bus_.Push(kOnContextReady, kNaN);
  while (const Event* e = bus_.Next()) Dispatch(*e, t);
}

// ---- the threat gate, then the planner ----------------------------------------------------------

void Run::PlanOpportunities(uint32_t t) {
  const BarContext bar = MakeBar(t, nullptr);
  TradePlan plan;
  for (const Opportunity& opp : bar_opps_) {
    std::optional<RejectionReason> why =
        gate_.Check(opp, ledger_.position().open, exchange_.entry_pending());
    if (!why) why = planner_.Plan(opp, bar, plan);
    if (why) {
      rejections_.Reject(opp, *why);
      continue;
    }
    exchange_.SubmitPlan(plan, t);
    rejections_.Accept(opp);
  }
}

// ---- quiet bars ---------------------------------------------------------------------------------

// The end of the run of quiet bars that starts at `from`: bars on which the loop would do nothing
// but mark the equity. Nothing may be due (no order waits, no stop or target to watch), the
// ledger's mark must not be heard (nobody listens, or it would not fire: flat, the same day),
// and every worker on on_context_ready must know its next active bar. `from` when none is quiet.
uint32_t Run::QuietUntil(uint32_t from) {
  if (exchange_.pending() != 0) return from;
  const PositionView& p = ledger_.position();
  if (p.open && (p.stop_loss || p.take_profit)) return from;
  const uint32_t until = ledger_heard_ ? ledger_.SilentUntil(from, end_) : end_;
  uint32_t next = until;
  // Each worker on on_context_ready, its answer bounding how far the next one looks; one that
  // does not know ends skipping for the run. Execution workers first: flat, an exit rule answers
  // at once; in a position, its exit bounds how far the signals need to look.
  auto ask = [&](const auto& workers, const EventBus::Subscribers& subs) {
    for (uint16_t w : subs) {
      if (next <= from) return false;
      const NextActiveBar n = workers[w]->NextActive(from, next, ledger_.view());
      if (!n) {
        quiet_ = false;  // not asked again in this run
        return false;
      }
      next = std::min(next, *n);
    }
    return true;
  };
  if (!ask(execution_, bus_.execution_workers(kOnContextReady)) ||
      !ask(opportunity_, bus_.opportunity_workers(kOnContextReady)))
    return from;
  return std::max(next, from);
}

// ---- the run ------------------------------------------------------------------------------------

void Run::Finish(BacktestResult& r) {
  // Close what is still open at the last traded close (fee, no slippage) and re-mark that bar.
  const uint32_t last = end_ - 1;
  exchange_.CloseAtEnd(last);
  r.equity = std::move(ledger_.equity());
  // One equity point per traded bar (Mark at every close from begin_ to end_), so point i is
  // bar begin_ + i.
  if (r.equity.size() == end_ - begin_)
    r.buy_and_hold =
        BuyAndHoldEquity(std::span<const double>(bars_.close.data() + begin_, end_ - begin_),
                         link_.environment.initial_capital);
  r.trades = std::move(ledger_.trades());
  r.name = link_.name;
  r.bars = end_ - begin_;
  r.period_start = TimestampMs{bars_.ts_ms[begin_]};
  r.period_end = TimestampMs{bars_.ts_ms[last]};
  r.daily_returns = ComputeDailyReturns(r.equity);
  r.metrics = ComputeMetrics(r.equity, r.trades, env_.periods_per_year, r.daily_returns.values);
  r.opportunities = rejections_.Finish(r.causality);
  r.causality.threats_detected = gate_.threats_detected();
  if (r.bars < 1000)
    r.warnings.push_back("only " + std::to_string(r.bars) +
                         " bars traded (fewer than 1000): metrics are not meaningful");
  if (auto mismatch = CalendarMismatch(r.daily_returns.days, env_.periods_per_year))
    r.warnings.push_back(std::move(*mismatch));
  if (options_.capture_context) {
    for (ColumnId c = 0; c < frame_.column_count(); ++c) {
      r.context_names.push_back(frame_.Name(c));
      auto col = frame_.Column(c);
      r.context_columns.emplace_back(col.begin() + begin_, col.begin() + end_);
    }
  }
  for (size_t i = 0; i < stats_.size(); ++i) {
    const auto& [category, wc] = stats_of_[i];
    r.worker_timings.push_back({category, wc->yaml_path, wc->plugin, stats_[i].calls,
                                stats_[i].nanoseconds, stats_[i].setup_nanoseconds});
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
  ledger_.Start(begin_, end_ - begin_);
  bar_opps_.reserve(64);
  group_threats_.reserve(64);
  exchange_.Reserve(64);
  rejections_.Reserve(256);

  for (uint32_t t = begin_; t < end_; ++t) {
    current_bar_ = t;
    bus_.BeginBar();
    bar_opps_.clear();
    const bool fills = exchange_.Process(t);          // 1. fills
    if (ledger_.Mark(t, fills, exchange_.pending()))  // 2. ledger
      bus_.Push(kOnLedgerUpdate, ledger_.view().equity.v);
    DrainBus(t);  // 3. + 4. events
    if (bus_.storm())
      return Status::InvalidArgument(
          origin_ + ": event storm at bar " + std::to_string(t) + " (" +
          FormatIsoTimestamp(TimestampMs{ts[t]}) + "): more than " +
          std::to_string(options_.max_events_per_bar) +
          " events in one bar; do workers trigger each other in a cycle?");
    if (!bar_opps_.empty()) PlanOpportunities(t);  // 5. gate and plan
    // Quiet bars after this one: their equity points in one pass, then on to the next bar on
    // which anything can happen.
    if (quiet_ && t + 1 < end_) {
      const uint32_t until = QuietUntil(t + 1);
      if (until > t + 1) {
        // MarkQuiet also streams in the prices the fills after the span read.
        ledger_.MarkQuiet(t + 1, until, /*with_range=*/exchange_.FillsReadRange());
        t = until - 1;
      }
    }
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
  } catch (const WorkerFailure& e) {  // a worker's hook threw (its entry named it)
    return Status::Internal(e.what());
  } catch (const std::exception& e) {
    return Status::Internal("backtest '" + link.name + "' failed: " + e.what());
  }
}

}  // namespace s1mple::engine
