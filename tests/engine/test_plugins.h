// Plugins for tests only, registered on a test's own registry next to the built-ins:
//   test_signal  (opportunity) emits at fixed bars: at: ["5:long:1.0", ...]
//   test_pinger  (opportunity) publishes the custom event test_ping at fixed bars
//   test_plan    (planning)    sets entry type/price, stop, target, size and slices from params
//   test_manager (execution)   EventDrivenWorker wired to test_ping; records the bars it runs
//                              on and the position's partial_exits, optionally closes a
//                              fraction of the position once (ClosePartial, or CloseAll for 1)
//                              with the given reason
//   test_echo    (execution)   EventDrivenWorker wired to test_ping that publishes test_ping
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/plugin_registry.h"
#include "engine/plugins/plugin_util.h"

namespace s1mple::engine::testing {

struct Probe {
  std::vector<uint32_t> manager_bars;   // bars test_manager ran on
  std::vector<EventId> manager_events;  // the events that triggered it
  std::vector<int32_t> partial_exits;   // the position's partial_exits each time it ran
};

class TestSignal final : public OpportunityWorker {
 public:
  explicit TestSignal(const ParamSet& p) {
    for (const auto& s : p.GetStringList("at")) {
      const auto a = s.find(':'), b = s.rfind(':');
      at_.push_back({static_cast<uint32_t>(std::stoul(s.substr(0, a))),
                     s.substr(a + 1, b - a - 1) == "long" ? Side::kLong : Side::kShort,
                     std::stod(s.substr(b + 1))});
    }
  }
  void OnDetect(const BarContext& bar, OpportunitySink& out) override {
    for (const auto& a : at_)
      if (a.bar == bar.bar) out.Emit(a.side, a.score, "TEST_SIGNAL");
  }

 private:
  struct At {
    uint32_t bar;
    Side side;
    double score;
  };
  std::vector<At> at_;
};

class TestPinger final : public OpportunityWorker {
 public:
  explicit TestPinger(const ParamSet& p) {
    for (const auto& s : p.GetStringList("at")) at_.push_back(static_cast<uint32_t>(std::stoul(s)));
  }
  Status OnBind(BindContext& ctx) override {
    ping_ = ctx.events.Intern("test_ping");
    return Status::Ok();
  }
  void OnDetect(const BarContext& bar, OpportunitySink& out) override {
    for (uint32_t a : at_)
      if (a == bar.bar) out.events().Publish(ping_, 1.0);
  }

 private:
  std::vector<uint32_t> at_;
  EventId ping_ = 0;
};

class TestPlan final : public PlanningWorker {
 public:
  explicit TestPlan(const ParamSet& p)
      : entry_(p.GetString("entry")),
        entry_offset_(p.GetFloat("entry_offset")),
        stop_(p.GetFloat("stop_offset")),
        target_(p.GetFloat("target_offset")),
        size_(p.GetFloat("size")),
        slices_(static_cast<int32_t>(p.GetInt("slices"))),
        slice_interval_(static_cast<int32_t>(p.GetInt("slice_interval"))) {}
  void OnPlan(const PlanningInput& in, TradePlan& plan) override {
    const double ref = in.bar->Close();
    const double s = Sign(plan.side);
    if (entry_ != "market") {
      plan.entry_type = entry_ == "limit" ? OrderType::kLimit : OrderType::kStop;
      plan.entry_price = Price{ref + entry_offset_};
      plan.reference_price = plan.entry_price;
    }
    const double r = plan.ReferenceOr(ref);
    if (stop_ > 0) plan.stop_loss = Price{r - s * stop_};
    if (target_ > 0) plan.take_profit = Price{r + s * target_};
    if (size_ > 0) plan.size = Quantity{size_};
    plan.slices = slices_;
    plan.slice_interval_bars = slice_interval_;
  }

 private:
  std::string entry_;
  double entry_offset_, stop_, target_, size_;
  int32_t slices_, slice_interval_;
};

class TestManager final : public ExecutionWorker {
 public:
  TestManager(const ParamSet& p, std::shared_ptr<Probe> probe)
      : fraction_(p.GetFloat("close_fraction")),
        close_after_(static_cast<uint32_t>(p.GetInt("close_after_bar"))),
        reason_(p.GetString("reason")),
        probe_(std::move(probe)) {}
  void OnManage(const BarContext& bar, PositionActions& actions) override {
    probe_->manager_bars.push_back(bar.bar);
    probe_->manager_events.push_back(bar.event->id);
    probe_->partial_exits.push_back(bar.ledger->position.partial_exits);
    if (fraction_ > 0 && bar.ledger->position.open && bar.bar >= close_after_ && !done_) {
      if (fraction_ >= 1)
        actions.CloseAll(reason_);  // a view of the worker's own string: outlives the run
      else
        actions.ClosePartial(fraction_, reason_);
      done_ = true;
    }
  }

 private:
  double fraction_;
  uint32_t close_after_;
  std::string reason_;
  bool done_ = false;
  std::shared_ptr<Probe> probe_;
};

class TestEcho final : public ExecutionWorker {
 public:
  explicit TestEcho(const ParamSet&) {}
  Status OnBind(BindContext& ctx) override {
    ping_ = ctx.events.Intern("test_ping");
    return Status::Ok();
  }
  void OnManage(const BarContext&, PositionActions& actions) override {
    actions.events().Publish(ping_, 0);
  }

 private:
  EventId ping_ = 0;
};

// The built-ins plus the test plugins; `probe` collects what test_manager saw.
inline PluginRegistry TestRegistry(std::shared_ptr<Probe> probe) {
  PluginRegistry r = MakeBuiltinRegistry();
  using namespace plugin;
  PluginManifest sig;
  sig.name = "test_signal";
  sig.category = WorkerCategory::kOpportunity;
  sig.params = {StringList("at", {}, {}, "bar:side:score")};
  MustRegister(r, sig, Make<TestSignal>());
  PluginManifest ping;
  ping.name = "test_pinger";
  ping.category = WorkerCategory::kOpportunity;
  ping.params = {StringList("at", {}, {}, "bars")};
  ping.publishes = {"test_ping"};
  MustRegister(r, ping, Make<TestPinger>());
  PluginManifest plan;
  plan.name = "test_plan";
  plan.category = WorkerCategory::kPlanning;
  plan.params = {Enum("entry", "market", {"market", "limit", "stop"}, ""),
                 Float("entry_offset", 0, -1e9, 1e9, ""),
                 Float("stop_offset", 0, 0, 1e9, ""),
                 Float("target_offset", 0, 0, 1e9, ""),
                 Float("size", 0, 0, 1e12, ""),
                 Int("slices", 1, 1, 100, ""),
                 Int("slice_interval", 1, 1, 100, "")};
  MustRegister(r, plan, Make<TestPlan>());
  PluginManifest mgr;
  mgr.name = "test_manager";
  mgr.category = WorkerCategory::kExecution;
  mgr.event_driven = true;
  mgr.wirings = {"test_ping"};
  mgr.params = {Float("close_fraction", 0, 0, 1, ""), Int("close_after_bar", 0, 0, 1000000, ""),
                String("reason", "", "")};
  MustRegister(r, mgr, [probe](const ParamSet& p) -> Result<std::unique_ptr<Worker>> {
    return std::unique_ptr<Worker>(std::make_unique<TestManager>(p, probe));
  });
  PluginManifest echo;
  echo.name = "test_echo";
  echo.category = WorkerCategory::kExecution;
  echo.event_driven = true;
  echo.wirings = {"test_ping"};
  echo.publishes = {"test_ping"};
  MustRegister(r, echo, Make<TestEcho>());
  return r;
}

}  // namespace s1mple::engine::testing
