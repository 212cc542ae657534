// Test support for the plugin-catalog tests: hand-made bars, workers built through the real
// registry (manifest validation included), and recording fakes of the sinks workers write to.
#pragma once

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/context.h"
#include "engine/data.h"
#include "engine/plugin_registry.h"
#include "engine/worker.h"

namespace s1mple::engine::catalog_test {

struct Bar {
  double o, h, l, c, v = 1000;
};

// Bars `interval_ms` apart from 2020-01-01.
inline BarSeries MakeBars(const std::vector<Bar>& bars, int64_t interval_ms = 300'000) {
  BarSeries s;
  int64_t ts = 1577836800000;
  for (const Bar& b : bars) {
    s.Append(ts, b.o, b.h, b.l, b.c, b.v);
    ts += interval_ms;
  }
  return s;
}

// `n` flat bars around `price` (range +-0.05%).
inline std::vector<Bar> Flat(size_t n, double price = 100.0) {
  return std::vector<Bar>(n, Bar{price, price * 1.0005, price * 0.9995, price});
}

class Events final : public EventRegistry {
 public:
  Events() {
    for (EventId id = 0; id < kBuiltinEventCount; ++id) names_.emplace_back(BuiltinEventName(id));
  }
  EventId Intern(std::string_view name) override {
    for (size_t i = 0; i < names_.size(); ++i)
      if (names_[i] == name) return static_cast<EventId>(i);
    names_.emplace_back(name);
    return static_cast<EventId>(names_.size() - 1);
  }

 private:
  std::vector<std::string> names_;
};

struct Published {
  EventId id;
  double value;
};

class Publisher final : public EventPublisher {
 public:
  void Publish(EventId id, double value) override { published.push_back({id, value}); }
  std::vector<Published> published;
};

struct Emitted {
  Side side;
  double score;
  std::string signal_type;
  double reference_price, zone_low, zone_high;
};

// A price as a double for assertions: NaN for no price.
inline double V(std::optional<Price> p) {
  return p ? p->v : kNaN;
}
inline double V(Quantity q) {
  return q.v;
}
inline double V(Money m) {
  return m.v;
}

class OppSink final : public OpportunitySink {
 public:
  void Emit(Side side, double score, std::string_view signal_type,
            std::optional<Price> reference_price, std::optional<Price> zone_low,
            std::optional<Price> zone_high) override {
    emitted.push_back(
        {side, score, std::string(signal_type), V(reference_price), V(zone_low), V(zone_high)});
  }
  std::span<Opportunity> Earlier() override { return {}; }
  EventPublisher& events() override { return pub; }
  std::vector<Emitted> emitted;
  Publisher pub;
};

struct Raised {
  std::string type;
  Severity severity;
  bool blocks;
  double value;
};

class ThreatRecorder final : public ThreatSink {
 public:
  void Raise(std::string_view type, Severity severity, bool blocks, double value) override {
    raised.push_back({std::string(type), severity, blocks, value});
  }
  std::span<const Threat> Earlier() const override { return {}; }
  EventPublisher& events() override { return pub; }
  std::vector<Raised> raised;
  Publisher pub;
};

class ActionRecorder final : public PositionActions {
 public:
  void MoveStop(std::optional<Price> price) override { stops.push_back(V(price)); }
  void SetTarget(std::optional<Price> price) override { targets.push_back(V(price)); }
  void ClosePartial(double fraction, std::string_view) override { closes.push_back(fraction); }
  void CloseAll(std::string_view) override { closes.push_back(1.0); }
  void CancelPendingEntries() override { ++cancels; }
  EventPublisher& events() override { return pub; }
  std::vector<double> stops, targets, closes;
  int cancels = 0;
  Publisher pub;
};

// A worker of the built-in registry from a YAML entry such as
// "{plugin: fvg_entry_detector, params: {min_gap_size: 5}}", validated like a blueprint entry.
template <typename W>
std::unique_ptr<W> MakeWorker(const std::string& yaml, WorkerCategory category,
                              std::optional<PlanningPhase> phase = std::nullopt) {
  const PluginRegistry& reg = DefaultRegistry();
  auto cfg = reg.ParseWorker(YAML::Load(yaml), category, phase, "test", "worker");
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  if (!cfg.ok()) return nullptr;
  auto w = reg.Create(*cfg);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  if (!w.ok()) return nullptr;
  return std::unique_ptr<W>(static_cast<W*>(w->release()));
}

// Everything one worker needs to run on hand-made bars: the frame, the event registry, a ledger.
struct Harness {
  explicit Harness(BarSeries b) : bars(std::move(b)), frame(bars) {
    ledger.equity = ledger.cash = ledger.peak_equity = ledger.day_start_equity = Money{10000};
  }
  void Bind(Worker& w) {
    BindContext ctx{frame,  events,   static_cast<ColumnId>(frame.column_count()),
                    "test", "worker", "test_plugin"};
    Status s = w.Bind(ctx);
    ASSERT_TRUE(s.ok()) << s.ToString();
    if (w.category() == WorkerCategory::kContext) {
      Status c = static_cast<ContextWorker&>(w).Compute(frame);
      ASSERT_TRUE(c.ok()) << c.ToString();
    }
  }
  BarContext At(uint32_t t, const Event* event = nullptr) {
    BarContext b;
    b.bar = t;
    b.ts = TimestampMs{bars.ts_ms[t]};
    b.frame = &frame;
    b.ledger = &ledger;
    b.event = event ? event : &context_ready;
    b.threats = threats;
    return b;
  }
  std::span<const double> Column(const std::string& name) const {
    auto id = frame.Find(name);
    EXPECT_TRUE(id.has_value()) << "no column " << name;
    return id ? frame.Column(*id) : std::span<const double>();
  }

  BarSeries bars;
  ContextFrame frame;
  Events events;
  LedgerView ledger;
  std::vector<Threat> threats;
  Event context_ready;
};

// Runs Detect on every bar; returns (bar, emission) pairs.
inline std::vector<std::pair<uint32_t, Emitted>> DetectAll(Harness& h, OpportunityWorker& w) {
  std::vector<std::pair<uint32_t, Emitted>> out;
  for (uint32_t t = 0; t < h.bars.size(); ++t) {
    OppSink sink;
    w.Detect(h.At(t), sink);
    for (auto& e : sink.emitted) out.emplace_back(t, e);
  }
  return out;
}

}  // namespace s1mple::engine::catalog_test
