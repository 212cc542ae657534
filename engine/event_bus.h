// The event bus of one run: event names interned to ids, who listens to which event, and the
// per-bar queue the bar loop drains first in, first out (docs/CONFIGURATION.md, "The bar loop",
// step 4).
//
// The queue is bounded: at most max_events_per_bar events per bar; overflow policy: the event is
// dropped and the bus reports storm(), which fails the run ("event storm": workers triggering
// each other in a cycle). An event nobody listens to is not queued at all (draining it would run
// nothing). The queue is a fixed array allocated once (Seal): Push never allocates or moves it,
// so an Event handed out by Next() stays valid for the rest of the bar.
//
// Not thread-safe: one bus per run, used by the run's thread only (so there is no mutex and no
// thread-safety annotation to check). Setup (Subscribe*, Seal) before the bar loop; per bar
// BeginBar, Push, Next.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/worker.h"

namespace s1mple::engine {

// Event names <-> ids: the built-ins first (their ids are the kOn* constants), then custom events
// in the order they were first interned.
class EventNames final : public EventRegistry {
 public:
  EventNames();
  EventId Intern(std::string_view name) override;
  size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
};

class EventBus {
 public:
  // Which kinds of worker an event runs (bits of listeners()).
  static constexpr uint8_t kListensThreat = 1, kListensOpportunity = 2, kListensExecution = 4,
                           kListensPlanning = 8;
  using Subscribers = std::vector<uint16_t>;                             // worker indices
  using PlannerSubscribers = std::vector<std::pair<uint8_t, uint16_t>>;  // (phase, index)

  // ---- setup ----
  // `worker` (its index in its category, blueprint order) runs on event `id`. Threat,
  // opportunity and execution workers only; planners use SubscribePlanner.
  void Subscribe(WorkerCategory category, EventId id, uint16_t worker);
  void SubscribePlanner(EventId id, uint8_t phase, uint16_t index);
  // Fixes the tables for `event_count` events (every interned id) and allocates the queue.
  void Seal(size_t event_count, uint32_t max_events_per_bar);

  // ---- per bar ----
  void BeginBar() { size_ = head_ = 0; }

  // Queues an event for this bar (dropped when nobody listens; a storm when the bar is full).
  [[gnu::always_inline]] void Push(EventId id, double value, OpportunityId opportunity = {},
                                   ThreatId threat = {}) {
    if (id >= listeners_.size() || listeners_[id] == 0) return;
    if (size_ >= max_events_ || storm_) {  // events this bar
      storm_ = true;
      return;
    }
    Event& e = queue_[size_++];  // fields written in place: no Event copied through memory
    e.id = id;
    e.opportunity = opportunity;
    e.threat = threat;
    e.value = value;
  }

  // The next queued event of this bar, or nullptr when the queue is drained or stormed. By
  // pointer into the fixed queue: copying a just-written Event whole would stall on store
  // forwarding.
  const Event* Next() { return head_ < size_ && !storm_ ? &queue_[head_++] : nullptr; }

  bool storm() const { return storm_; }
  uint32_t max_events_per_bar() const { return max_events_; }

  uint8_t listeners(EventId id) const { return listeners_[id]; }
  const Subscribers& threat_workers(EventId id) const { return threat_subs_[id]; }
  const Subscribers& opportunity_workers(EventId id) const { return opp_subs_[id]; }
  const Subscribers& execution_workers(EventId id) const { return exec_subs_[id]; }
  const PlannerSubscribers& planners(EventId id) const { return plan_subs_[id]; }

 private:
  // Per event id: the workers of each category it triggers, in blueprint order.
  std::vector<Subscribers> opp_subs_, threat_subs_, exec_subs_;
  std::vector<PlannerSubscribers> plan_subs_;
  std::vector<uint8_t> listeners_;  // per event id: kListens* bits; 0 = nobody listens

  std::unique_ptr<Event[]> queue_;  // max_events_ slots, cleared every bar
  uint32_t max_events_ = 0;
  uint32_t size_ = 0, head_ = 0;
  bool storm_ = false;
};

}  // namespace s1mple::engine
