// The event bus: event names, subscriptions, the bounded per-bar queue (engine/event_bus.h).
#include "engine/event_bus.h"

#include <algorithm>

namespace s1mple::engine {

EventNames::EventNames() {
  for (EventId id = 0; id < kBuiltinEventCount; ++id) names_.emplace_back(BuiltinEventName(id));
}

EventId EventNames::Intern(std::string_view name) {
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return static_cast<EventId>(i);
  names_.emplace_back(name);
  return static_cast<EventId>(names_.size() - 1);
}

void EventBus::Subscribe(WorkerCategory category, EventId id, uint16_t worker) {
  std::vector<Subscribers>* subs = nullptr;
  switch (category) {
    case WorkerCategory::kThreat:
      subs = &threat_subs_;
      break;
    case WorkerCategory::kOpportunity:
      subs = &opp_subs_;
      break;
    case WorkerCategory::kExecution:
      subs = &exec_subs_;
      break;
    case WorkerCategory::kContext:
    case WorkerCategory::kPlanning:
      return;  // context workers take no triggers; planners: SubscribePlanner
  }
  if (subs->size() <= id) subs->resize(id + 1);
  (*subs)[id].push_back(worker);
}

void EventBus::SubscribePlanner(EventId id, uint8_t phase, uint16_t index) {
  if (plan_subs_.size() <= id) plan_subs_.resize(id + 1);
  plan_subs_[id].emplace_back(phase, index);
}

void EventBus::Seal(size_t n, uint32_t max_events_per_bar) {
  plan_subs_.resize(n);
  opp_subs_.resize(n);
  threat_subs_.resize(n);
  exec_subs_.resize(n);
  listeners_.assign(n, 0);
  for (size_t id = 0; id < n; ++id)
    listeners_[id] = static_cast<uint8_t>((threat_subs_[id].empty() ? 0 : kListensThreat) |
                                          (opp_subs_[id].empty() ? 0 : kListensOpportunity) |
                                          (exec_subs_[id].empty() ? 0 : kListensExecution) |
                                          (plan_subs_[id].empty() ? 0 : kListensPlanning));
  max_events_ = max_events_per_bar;
  queue_ = std::make_unique<Event[]>(std::max<uint32_t>(1, max_events_per_bar));
}

}  // namespace s1mple::engine
