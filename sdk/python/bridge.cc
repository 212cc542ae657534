// The Python bridge (engine/python_bridge.h): CPython embedded with pybind11. Built as a shared
// library of its own and carried inside the s1mple executable (bridge_blob.cc.in), so s1mple
// itself does not need libpython; it resolves the engine's symbols from the process that loads
// it, as a C++ plugin package does.
//
// The Python side, module `s1mple` (built in; docs/PLUGINS_GUIDE.md is the user's reference):
//
//   import numpy as np, s1mple
//   class MySignal(s1mple.OpportunityWorker):
//       name = "my_signal"                     # snake_case, unique
//       subtype = "momentum_signal"            # optional
//       description = "..."                    # optional
//       params = {"period": s1mple.Int(20, 2, 500, "bars in the window")}
//       columns = ["ema_{period}"]             # columns bind() gets besides the bars
//       def bind(self, bars):                  # once: bars["open"|...|"ema_20"] are read-only
//           ...                                # float64 NumPy views of the engine's buffers
//           self.publish("my_col", values)     # optional: a column for later workers
//           return signal                      # one value per bar: > 0 long, < 0 short, 0/NaN
//                                              # none (|value| is the score); or None and define
//       # def on_bar(self, t): return 1.0      # a per-bar hook (one Python call per bar)
//       publishes = ["my_event"]               # optional: custom events; self.emit(name,
//                                              # value) from a per-bar hook publishes one
//       wirings = ["my_event"]                 # optional: events it listens to (its triggers;
//                                              # planners: on_event(bar, name, value))
//
//   ContextWorker:   compute(bars) -> {column name: values} (once, after bind)
//   ThreatWorker:    bind() -> one value per bar (threat_type raised where non-zero), or
//                    assess(bar) -> None | s1mple.Threat | [Threat]
//   PlanningWorker:  plan(bar, opportunity, plan) (EntryPlanner/ExitPlanner/SizePlanner/
//                    RoutingPlanner preset `phases`)
//   ExecutionWorker: manage(bar, position) (position: move_stop, set_target, close_partial,
//                    close_all, cancel_pending_entries)
//
// `self.params` holds the validated params (a dict). Exceptions raised anywhere become the
// job's failure, with the plugin's name, its YAML path and the Python traceback. The handles a
// per-bar hook gets (Bar, Ledger, Position, Opportunity, Plan, PositionActions) are made once per
// worker and point at the engine's state of the call in progress only (CallState).
#include <pybind11/embed.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

// The engine's declarations keep default visibility: their definitions are in the host process.
#pragma GCC visibility push(default)
#include "engine/plugin_registry.h"
#include "engine/plugins/plugin_util.h"
#include "engine/python_bridge.h"
#include "engine/worker.h"
#pragma GCC visibility pop

namespace py = pybind11;
namespace eng = s1mple::engine;
using s1mple::Result;
using s1mple::Status;

namespace {

const char* kModuleSource = R"PY(
import math as _math

class _Param(tuple):
    pass

def Int(default, min=None, max=None, doc=""):
    return _Param(("int", int(default), min, max, None, doc))

def Float(default, min=None, max=None, doc=""):
    return _Param(("float", float(default), min, max, None, doc))

def Bool(default, doc=""):
    return _Param(("bool", bool(default), None, None, None, doc))

def Enum(default, choices, doc=""):
    return _Param(("enum", str(default), None, None, list(choices), doc))

def String(default, doc=""):
    return _Param(("string", str(default), None, None, None, doc))

def StringList(default, choices=None, doc=""):
    """A list of strings (a YAML sequence); with `choices`, every item must be one of them."""
    return _Param(("string_list", [str(v) for v in default], None, None,
                   None if choices is None else [str(c) for c in choices], doc))

class Worker:
    """The base of every Python worker. Class attributes are the manifest."""
    name = None          # snake_case, unique among the built-ins and every package
    subtype = ""
    description = ""
    params = {}          # {name: s1mple.Int/Float/Bool/Enum/String/StringList(...)}
    columns = []         # columns bind() receives besides the bars, "{param}" filled in
    triggers = []        # the events it runs on (default: on_context_ready)
    produces = []        # the columns it publishes, for docs (e.g. "my_col_<period>")
    publishes = []       # custom events it publishes with self.emit(name, value)
    wirings = []         # the events it listens to (planners: on_event(bar, name, value))

    def bind(self, bars):
        return None

    def emit(self, name, value=_math.nan):
        """Publishes the custom event `name` (listed in `publishes`) with `value` on the event
        bus, from a per-bar hook (on_bar, assess, manage); workers wired to it react."""
        f = self.__dict__.get("_s1mple_emit")
        if f is None:
            raise RuntimeError("emit() before the worker was bound")
        f(str(name), float(value))

    def publish(self, name, values):
        """Adds the column `name` (one float per bar) to the run, for the workers bound after
        this one (C++ or Python) to read. Call it from bind() (or compute())."""
        self.__dict__.setdefault("_s1mple_published", []).append((str(name), values))

class ContextWorker(Worker):
    category = "context"
    def compute(self, bars):
        return {}

class OpportunityWorker(Worker):
    category = "opportunity"

class ThreatWorker(Worker):
    category = "threat"
    threat_type = "PY_THREAT"    # what an array returned by bind() raises ...
    severity = "medium"          # ... at this severity ("low", "medium", "high", "critical")
    blocks_new_entries = False   # ... blocking new entries or not

class Threat:
    """What assess(bar) returns (or a list of them)."""
    __slots__ = ("type", "severity", "blocks_new_entries", "value")
    def __init__(self, type, severity="medium", blocks_new_entries=False, value=_math.nan):
        self.type = str(type)
        self.severity = str(severity)
        self.blocks_new_entries = bool(blocks_new_entries)
        self.value = float(value)

class PlanningWorker(Worker):
    category = "planning"
    phases = []          # "entry", "exit", "size", "routing": where it may sit (empty: any)
    def plan(self, bar, opportunity, plan):
        pass

class EntryPlanner(PlanningWorker):
    subtype = "entry_planning"
    phases = ["entry"]

class ExitPlanner(PlanningWorker):
    subtype = "exit_planning"
    phases = ["exit"]

class SizePlanner(PlanningWorker):
    subtype = "size_planning"
    phases = ["size"]

class RoutingPlanner(PlanningWorker):
    subtype = "order_routing"
    phases = ["routing"]

class ExecutionWorker(Worker):
    category = "execution"
    def manage(self, bar, position):
        pass

def bars_from_closes(closes, volume=1000.0):
    """Hand-made bars for unit tests: each bar opens at the previous close (the first at its
    close), its high and low are the larger and smaller of open and close. A dict of float64
    NumPy arrays, as bind() and compute() receive them."""
    import numpy as np
    c = np.asarray(closes, dtype=np.float64)
    o = np.concatenate((c[:1], c[:-1]))
    return {"open": o, "high": np.maximum(o, c), "low": np.minimum(o, c), "close": c,
            "volume": np.full(len(c), float(volume))}
)PY";

// The Python traceback of the exception being handled, as text.
std::string Traceback(py::error_already_set& e) {
  try {
    py::object tb = py::module_::import("traceback");
    py::list lines = tb.attr("format_exception")(e.type(), e.value(), e.trace());
    std::string out;
    for (auto& l : lines) out += py::str(l).cast<std::string>();
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  } catch (...) {
    return e.what();
  }
}

// A read-only float64 NumPy view over one column of the frame: its data pointer is the engine's
// buffer (no copy). The frame outlives every call that sees it; a view kept past the run must not
// be read (the run's columns go back to the thread's pool).
py::array ColumnView(const eng::ContextFrame& frame, eng::ColumnId id) {
  auto col = frame.Column(id);
  py::array_t<double> a({static_cast<py::ssize_t>(col.size())}, {sizeof(double)}, col.data(),
                        py::capsule(col.data(), [](void*) {}));
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return std::move(a);
}

py::dict ParamsDict(const eng::PluginManifest& m, const eng::ParamSet& p) {
  py::dict d;
  for (const auto& spec : m.params) {
    switch (spec.type) {
      case eng::ParamType::kInt:
        d[spec.name.c_str()] = p.GetInt(spec.name);
        break;
      case eng::ParamType::kFloat:
        d[spec.name.c_str()] = p.GetFloat(spec.name);
        break;
      case eng::ParamType::kBool:
        d[spec.name.c_str()] = p.GetBool(spec.name);
        break;
      case eng::ParamType::kStringList: {
        py::list items;
        for (const auto& v : p.GetStringList(spec.name)) items.append(v);
        d[spec.name.c_str()] = items;
        break;
      }
      default:
        d[spec.name.c_str()] = p.GetString(spec.name);
        break;
    }
  }
  return d;
}

// A Python object owned from C++ (its last reference dropped with the GIL held).
struct PyHandle {
  py::object obj;
  ~PyHandle() {
    py::gil_scoped_acquire gil;
    obj = py::object();
  }
};

std::shared_ptr<PyHandle> Instantiate(const py::object& cls, const eng::PluginManifest& m,
                                      const eng::ParamSet& p) {
  py::gil_scoped_acquire gil;
  auto h = std::make_shared<PyHandle>();
  try {
    h->obj = cls();
    h->obj.attr("params") = ParamsDict(m, p);
  } catch (py::error_already_set& e) {
    throw std::runtime_error("Python raised:\n" + Traceback(e));
  }
  return h;
}

[[noreturn]] void Rethrow(py::error_already_set& e) {
  throw std::runtime_error("Python raised:\n" + Traceback(e));
}

// ---- what per-bar hooks see: handles over the engine's state of the current call ---------------

// The state of the call in progress of one worker. The Python handles (Bar, Ledger, Position,
// Opportunity, Plan, Actions) point here, made once at Bind and reused every call, so a call
// allocates nothing but the numbers it reads. A handle a hook kept reads the call in progress;
// between calls the pointers are null and it raises instead of reading freed memory.
struct CallState {
  const eng::BarContext* bar = nullptr;
  const eng::PlanningInput* in = nullptr;
  eng::TradePlan* plan = nullptr;
  eng::PositionActions* actions = nullptr;
  // Strings the engine keeps for the run (signal types, threat types, reasons): owned here.
  std::set<std::string, std::less<>> strings;

  std::string_view Intern(const std::string& s) { return *strings.insert(s).first; }
  const eng::BarContext& Bar() const {
    if (!bar)
      throw std::runtime_error("s1mple: a bar handle used outside the call it was given to");
    return *bar;
  }
};

// Clears the call's pointers when the call ends, however it ends.
struct CallScope {
  CallState& s;
  ~CallScope() {
    s.bar = nullptr;
    s.in = nullptr;
    s.plan = nullptr;
    s.actions = nullptr;
  }
};

struct BarHandle {
  CallState* s;
};
struct LedgerHandle {
  CallState* s;
};
struct PositionHandle {
  CallState* s;
};
struct OpportunityHandle {
  CallState* s;
  const eng::Opportunity& O() const {
    if (!s->in) throw std::runtime_error("s1mple: an opportunity used outside its plan() call");
    return *s->in->opportunity;
  }
};
struct PlanHandle {
  CallState* s;
  eng::TradePlan& P() const {
    if (!s->plan) throw std::runtime_error("s1mple: a plan used outside its plan() call");
    return *s->plan;
  }
};
struct ActionsHandle {
  CallState* s;
  eng::PositionActions& A() const {
    if (!s->actions)
      throw std::runtime_error("s1mple: position actions used outside their manage() call");
    return *s->actions;
  }
};

py::object OptPrice(const std::optional<eng::Price>& p) {
  return p ? py::object(py::float_(p->v)) : py::object(py::none());
}
std::optional<eng::Price> PriceArg(const py::object& o) {
  if (o.is_none()) return std::nullopt;
  return eng::PriceOrNone(o.cast<double>());
}

// The Python classes of the handles, in module `s1mple` (registered once, at Start).
void RegisterHandles(py::module_& m) {
  py::class_<BarHandle>(m, "Bar", "The bar a hook runs on (borrowed for that call).")
      .def_property_readonly("t", [](const BarHandle& b) { return b.s->Bar().bar; })
      .def_property_readonly("ts", [](const BarHandle& b) { return b.s->Bar().ts.v; })
      .def_property_readonly("open",
                             [](const BarHandle& b) { return b.s->Bar().Value(eng::kOpenColumn); })
      .def_property_readonly("high",
                             [](const BarHandle& b) { return b.s->Bar().Value(eng::kHighColumn); })
      .def_property_readonly("low",
                             [](const BarHandle& b) { return b.s->Bar().Value(eng::kLowColumn); })
      .def_property_readonly("close", [](const BarHandle& b) { return b.s->Bar().Close(); })
      .def_property_readonly(
          "volume", [](const BarHandle& b) { return b.s->Bar().Value(eng::kVolumeColumn); })
      .def_property_readonly("event_value",
                             [](const BarHandle& b) {
                               const eng::Event* e = b.s->Bar().event;
                               return e ? e->value : eng::kNaN;
                             })
      .def_property_readonly("ledger", [](const BarHandle& b) { return LedgerHandle{b.s}; });
  py::class_<LedgerHandle>(m, "Ledger", "The ledger at the close of the bar.")
      .def_property_readonly("equity",
                             [](const LedgerHandle& l) { return l.s->Bar().ledger->equity.v; })
      .def_property_readonly("cash",
                             [](const LedgerHandle& l) { return l.s->Bar().ledger->cash.v; })
      .def_property_readonly("peak_equity",
                             [](const LedgerHandle& l) { return l.s->Bar().ledger->peak_equity.v; })
      .def_property_readonly(
          "day_start_equity",
          [](const LedgerHandle& l) { return l.s->Bar().ledger->day_start_equity.v; })
      .def_property_readonly(
          "realized_pnl", [](const LedgerHandle& l) { return l.s->Bar().ledger->realized_pnl.v; })
      .def_property_readonly("closed_trades",
                             [](const LedgerHandle& l) { return l.s->Bar().ledger->closed_trades; })
      .def_property_readonly(
          "pending_orders", [](const LedgerHandle& l) { return l.s->Bar().ledger->pending_orders; })
      .def_property_readonly("position", [](const LedgerHandle& l) { return PositionHandle{l.s}; });
  auto pos = [](const PositionHandle& p) -> const eng::PositionView& {
    return p.s->Bar().ledger->position;
  };
  py::class_<PositionHandle>(m, "Position", "The open position (open is False when flat).")
      .def_property_readonly("open", [pos](const PositionHandle& p) { return pos(p).open; })
      .def_property_readonly("side",
                             [pos](const PositionHandle& p) { return eng::Sign(pos(p).side); })
      .def_property_readonly("size", [pos](const PositionHandle& p) { return pos(p).size.v; })
      .def_property_readonly("initial_size",
                             [pos](const PositionHandle& p) { return pos(p).initial_size.v; })
      .def_property_readonly("entry_price",
                             [pos](const PositionHandle& p) { return pos(p).entry_price.v; })
      .def_property_readonly("stop_loss",
                             [pos](const PositionHandle& p) { return OptPrice(pos(p).stop_loss); })
      .def_property_readonly(
          "take_profit", [pos](const PositionHandle& p) { return OptPrice(pos(p).take_profit); })
      .def_property_readonly("opportunity",
                             [pos](const PositionHandle& p) { return pos(p).opportunity.v; })
      .def_property_readonly("entry_bar",
                             [pos](const PositionHandle& p) { return pos(p).entry_bar; })
      .def_property_readonly("partial_exits",
                             [pos](const PositionHandle& p) { return pos(p).partial_exits; });
  py::class_<OpportunityHandle>(m, "Opportunity", "The opportunity being planned.")
      .def_property_readonly("id", [](const OpportunityHandle& o) { return o.O().id.v; })
      .def_property_readonly("bar", [](const OpportunityHandle& o) { return o.O().bar; })
      .def_property_readonly("side",
                             [](const OpportunityHandle& o) { return eng::Sign(o.O().side); })
      .def_property_readonly("score", [](const OpportunityHandle& o) { return o.O().score; })
      .def_property_readonly(
          "signal_type", [](const OpportunityHandle& o) { return std::string(o.O().signal_type); })
      .def_property_readonly(
          "reference_price",
          [](const OpportunityHandle& o) { return OptPrice(o.O().reference_price); })
      .def_property_readonly("zone_low",
                             [](const OpportunityHandle& o) { return OptPrice(o.O().zone_low); })
      .def_property_readonly("zone_high",
                             [](const OpportunityHandle& o) { return OptPrice(o.O().zone_high); });
  auto price_prop = [](std::optional<eng::Price> eng::TradePlan::*field) {
    return std::make_pair(
        [field](const PlanHandle& h) { return OptPrice(h.P().*field); },
        [field](const PlanHandle& h, const py::object& v) { h.P().*field = PriceArg(v); });
  };
  auto entry = price_prop(&eng::TradePlan::entry_price);
  auto ref = price_prop(&eng::TradePlan::reference_price);
  auto stop = price_prop(&eng::TradePlan::stop_loss);
  auto target = price_prop(&eng::TradePlan::take_profit);
  py::class_<PlanHandle>(m, "Plan", "The trade plan being refined (engine/worker.h TradePlan).")
      .def_property_readonly("phase",
                             [](const PlanHandle& h) {
                               h.P();
                               return std::string(eng::PlanningPhaseKey(h.s->in->phase));
                             })
      .def_property_readonly("side", [](const PlanHandle& h) { return eng::Sign(h.P().side); })
      .def_property(
          "entry_type",
          [](const PlanHandle& h) { return std::string(eng::OrderTypeName(h.P().entry_type)); },
          [](const PlanHandle& h, const std::string& t) {
            std::string l;
            for (char c : t) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (l == "market")
              h.P().entry_type = eng::OrderType::kMarket;
            else if (l == "limit")
              h.P().entry_type = eng::OrderType::kLimit;
            else if (l == "stop")
              h.P().entry_type = eng::OrderType::kStop;
            else
              throw py::value_error("entry_type: 'market', 'limit' or 'stop', not '" + t + "'");
          })
      .def_property("entry_price", entry.first, entry.second)
      .def_property("reference_price", ref.first, ref.second)
      .def_property("stop_loss", stop.first, stop.second)
      .def_property("take_profit", target.first, target.second)
      .def_property(
          "size", [](const PlanHandle& h) { return h.P().size.v; },
          [](const PlanHandle& h, double v) { h.P().size = eng::Quantity{v}; })
      .def_property(
          "expiry_bars", [](const PlanHandle& h) { return h.P().expiry_bars; },
          [](const PlanHandle& h, int32_t v) { h.P().expiry_bars = v; })
      .def_property(
          "slices", [](const PlanHandle& h) { return h.P().slices; },
          [](const PlanHandle& h, int32_t v) { h.P().slices = v; })
      .def_property(
          "slice_interval_bars", [](const PlanHandle& h) { return h.P().slice_interval_bars; },
          [](const PlanHandle& h, int32_t v) { h.P().slice_interval_bars = v; })
      .def_property_readonly("rejected", [](const PlanHandle& h) { return h.P().rejected; })
      .def(
          "reject",
          [](const PlanHandle& h, const std::string& reason) {
            h.P().Reject(reason.empty() ? std::string_view() : h.s->Intern(reason));
          },
          py::arg("reason") = "")
      .def("reference_or",
           [](const PlanHandle& h, double close) { return h.P().ReferenceOr(close); });
  py::class_<ActionsHandle>(m, "PositionActions", "What manage() may do to the open position.")
      .def("move_stop",
           [](const ActionsHandle& a, const py::object& price) { a.A().MoveStop(PriceArg(price)); })
      .def("set_target", [](const ActionsHandle& a,
                            const py::object& price) { a.A().SetTarget(PriceArg(price)); })
      .def(
          "close_partial",
          [](const ActionsHandle& a, double fraction, const std::string& reason) {
            a.A().ClosePartial(fraction, reason.empty() ? std::string_view() : a.s->Intern(reason));
          },
          py::arg("fraction"), py::arg("reason") = "")
      .def(
          "close_all",
          [](const ActionsHandle& a, const std::string& reason) {
            a.A().CloseAll(reason.empty() ? std::string_view() : a.s->Intern(reason));
          },
          py::arg("reason") = "")
      .def("cancel_pending_entries", [](const ActionsHandle& a) { a.A().CancelPendingEntries(); });
}

// ---- the workers --------------------------------------------------------------------------------

// What every Python worker does at Bind: resolves the columns its class declares (`columns`,
// "{param}" filled in from its params) into read-only views over the frame's buffers, calls
// bind(bars), and adds the columns it published. A declared column is one the worker may see
// (BindContext::ResolveSource: for a context worker, what its operator hands on), or a shared
// indicator of the close the frame computes on request: ema_<p>, rsi_<p>, atr_<p>.
class PyBinding {
 public:
  explicit PyBinding(std::shared_ptr<PyHandle> h) : h_(std::move(h)) {}
  ~PyBinding() {
    py::gil_scoped_acquire gil;  // drop the views with the GIL held
    bars_ = py::object();
    if (h_ && h_->obj) {
      py::dict d = h_->obj.attr("__dict__");
      if (d.contains("_s1mple_emit")) d["_s1mple_emit"] = py::none();  // it points at this
    }
  }
  PyBinding(const PyBinding&) = delete;
  PyBinding& operator=(const PyBinding&) = delete;

  // Under the GIL. Returns what bind() returned.
  Result<py::object> Bind(eng::BindContext& ctx) {
    py::dict bars;
    const char* names[] = {"open", "high", "low", "close", "volume"};
    for (eng::ColumnId id = 0; id < eng::kBarColumnCount; ++id)
      bars[names[id]] = ColumnView(ctx.frame, id);
    py::dict params = h_->obj.attr("params");
    for (auto c : py::list(h_->obj.attr("columns"))) {
      const std::string name = py::str(c).attr("format")(**params).cast<std::string>();
      auto id = Resolve(ctx, name);
      if (!id.ok()) return id.status();
      bars[name.c_str()] = ColumnView(ctx.frame, *id);
    }
    bars_ = bars;
    // Events: the custom events it may emit and the ones it listens to, interned now.
    event_ids_.clear();
    event_names_.clear();
    for (auto n : py::list(h_->obj.attr("publishes"))) {
      const std::string name = py::str(n).cast<std::string>();
      event_ids_[name] = ctx.events.Intern(name);
    }
    for (auto n : py::list(h_->obj.attr("wirings"))) {
      const std::string name = py::str(n).cast<std::string>();
      event_names_[ctx.events.Intern(name)] = name;
    }
    h_->obj.attr("__dict__")["_s1mple_emit"] =
        py::cpp_function([this](const std::string& name, double value) {
          auto it = event_ids_.find(name);
          if (it == event_ids_.end())
            throw py::value_error("emit('" + name +
                                  "'): not an event the class publishes (its "
                                  "`publishes` list)");
          if (publisher_ == nullptr)
            throw std::runtime_error("emit('" + name +
                                     "') outside a per-bar call (on_bar, assess, manage)");
          publisher_->Publish(it->second, value);
        });
    py::object r = h_->obj.attr("bind")(bars);
    S1MPLE_RETURN_IF_ERROR(TakePublished(ctx.frame));
    return r;
  }

  // Adds the columns publish() queued (under the GIL).
  Status TakePublished(eng::ContextFrame& frame) {
    py::dict d = h_->obj.attr("__dict__");
    if (!d.contains("_s1mple_published")) return Status::Ok();
    py::list queued = d["_s1mple_published"];
    d["_s1mple_published"] = py::list();
    for (auto item : queued) {
      auto t = py::reinterpret_borrow<py::tuple>(item);
      const std::string name = t[0].cast<std::string>();
      S1MPLE_RETURN_IF_ERROR(AddColumn(frame, name, t[1], "publish()"));
    }
    return Status::Ok();
  }

  static Status AddColumn(eng::ContextFrame& frame, const std::string& name,
                          const py::handle& values, const char* what) {
    auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(values);
    if (!a || a.ndim() != 1 || static_cast<size_t>(a.shape(0)) != frame.size())
      throw std::runtime_error(std::string(what) + ": column '" + name +
                               "' must have one number per bar (" + std::to_string(frame.size()) +
                               ")");
    auto id = frame.AddColumn(name);
    if (!id.ok())
      throw std::runtime_error(std::string(what) + ": column '" + name +
                               "' exists already (name published columns after their params)");
    auto col = frame.MutableColumn(*id);
    std::copy(a.data(), a.data() + a.shape(0), col.begin());
    return Status::Ok();
  }

  PyHandle& handle() { return *h_; }
  const py::object& bars() const { return bars_; }
  // The name of a wired event (empty for one it does not listen to).
  std::string EventName(eng::EventId id) const {
    auto it = event_names_.find(id);
    return it == event_names_.end() ? std::string() : it->second;
  }
  // Where emit() publishes during a per-bar call (null outside one).
  struct PublishScope {
    PyBinding& b;
    PublishScope(PyBinding& binding, eng::EventPublisher* p) : b(binding) { b.publisher_ = p; }
    ~PublishScope() { b.publisher_ = nullptr; }
  };

 private:
  static Result<eng::ColumnId> Resolve(eng::BindContext& ctx, const std::string& name) {
    if (ctx.frame.Find(name)) return ctx.ResolveSource(name);
    // A shared indicator of the close, computed now (and shared with every worker asking).
    const auto us = name.find('_');
    if (us != std::string::npos && name.find('_', us + 1) == std::string::npos) {
      const std::string kind = name.substr(0, us), digits = name.substr(us + 1);
      const bool number = !digits.empty() && digits.size() < 6 &&
                          digits.find_first_not_of("0123456789") == std::string::npos;
      if (number) {
        const int p = std::stoi(digits);
        if (p >= 1) {
          if (kind == "ema") return ctx.frame.Ema(p);
          if (kind == "rsi") return ctx.frame.Rsi(p);
          if (kind == "atr") return ctx.frame.Atr(p);
        }
      }
    }
    std::string cols;
    for (eng::ColumnId c = 0; c < ctx.source_columns_visible && c < ctx.frame.column_count(); ++c)
      cols += (cols.empty() ? "" : ", ") + ctx.frame.Name(c);
    return ctx.Error("columns: '" + name + "' is not a column of this run (visible: " + cols +
                     "; or a shared indicator of the close: ema_<p>, rsi_<p>, atr_<p>)");
  }

  std::shared_ptr<PyHandle> h_;
  py::object bars_;  // the dict of views bind() got (compute() gets it too); null until Bind
  std::map<std::string, eng::EventId> event_ids_;    // publishes
  std::map<eng::EventId, std::string> event_names_;  // wirings
  eng::EventPublisher* publisher_ = nullptr;
};

// The handles of one worker, made at Bind.
struct Handles {
  CallState state;
  py::object bar, opportunity, plan, actions;
  void Make() {
    bar = py::cast(BarHandle{&state});
    opportunity = py::cast(OpportunityHandle{&state});
    plan = py::cast(PlanHandle{&state});
    actions = py::cast(ActionsHandle{&state});
  }
  void Release() { bar = opportunity = plan = actions = py::object(); }
};

class PyOpportunity final : public eng::OpportunityWorker {
 public:
  explicit PyOpportunity(std::shared_ptr<PyHandle> h) : b_(std::move(h)) {}
  ~PyOpportunity() override {
    py::gil_scoped_acquire gil;  // drop the bound method with the GIL held
    on_bar_ = py::object();
  }

 protected:
  Status OnBind(eng::BindContext& ctx) override {
    py::gil_scoped_acquire gil;
    try {
      auto bound = b_.Bind(ctx);
      if (!bound.ok()) return bound.status();
      py::object r = *bound;
      if (r.is_none()) {
        if (!py::hasattr(b_.handle().obj, "on_bar"))
          throw std::runtime_error("bind() returned None and the class has no on_bar(t)");
        on_bar_ = b_.handle().obj.attr("on_bar");
        return Status::Ok();
      }
      auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(r);
      if (!a || a.ndim() != 1 || static_cast<size_t>(a.shape(0)) != ctx.frame.size())
        throw std::runtime_error("bind() must return one number per bar (" +
                                 std::to_string(ctx.frame.size()) + ") or None");
      signal_.assign(a.data(), a.data() + a.shape(0));
    } catch (py::error_already_set& e) {
      Rethrow(e);
    }
    return Status::Ok();
  }

  void OnDetect(const eng::BarContext& bar, eng::OpportunitySink& out) override {
    double s;
    if (!signal_.empty()) {
      s = signal_[bar.bar];
    } else {
      py::gil_scoped_acquire gil;
      PyBinding::PublishScope events(b_, &out.events());
      try {
        s = on_bar_(bar.bar).cast<double>();
      } catch (py::error_already_set& e) {
        Rethrow(e);
      } catch (py::cast_error&) {
        throw std::runtime_error("on_bar(t) must return a number");
      }
    }
    if (!(s > 0 || s < 0)) return;  // 0 or NaN: none
    const double close = bar.Close();
    out.Emit(s > 0 ? eng::Side::kLong : eng::Side::kShort, std::fabs(s),
             s > 0 ? "PY_LONG" : "PY_SHORT", eng::Price{close});
  }

 private:
  PyBinding b_;
  std::vector<double> signal_;
  py::object on_bar_;  // the per-bar hook when bind() returned None; released with the GIL
};

class PyContext final : public eng::ContextWorker {
 public:
  explicit PyContext(std::shared_ptr<PyHandle> h) : b_(std::move(h)) {}

 protected:
  Status OnBind(eng::BindContext& ctx) override {
    py::gil_scoped_acquire gil;
    try {
      auto bound = b_.Bind(ctx);
      if (!bound.ok()) return bound.status();
    } catch (py::error_already_set& e) {
      Rethrow(e);
    }
    return Status::Ok();
  }

  Status OnCompute(eng::ContextFrame& frame) override {
    py::gil_scoped_acquire gil;
    try {
      py::object r = b_.handle().obj.attr("compute")(b_.bars());
      S1MPLE_RETURN_IF_ERROR(b_.TakePublished(frame));
      if (r.is_none()) return Status::Ok();
      if (!py::isinstance<py::dict>(r))
        throw std::runtime_error("compute() must return a dict {column name: values} or None");
      for (auto [k, v] : py::reinterpret_borrow<py::dict>(r)) {
        const std::string name = py::str(k).cast<std::string>();
        if (frame.Find(name)) continue;  // another entry computed it
        S1MPLE_RETURN_IF_ERROR(PyBinding::AddColumn(frame, name, v, "compute()"));
      }
    } catch (py::error_already_set& e) {
      Rethrow(e);
    }
    return Status::Ok();
  }

 private:
  PyBinding b_;
};

eng::Severity SeverityOf(const std::string& s) {
  std::string l;
  for (char c : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "low") return eng::Severity::kLow;
  if (l == "medium") return eng::Severity::kMedium;
  if (l == "high") return eng::Severity::kHigh;
  if (l == "critical") return eng::Severity::kCritical;
  throw std::runtime_error("severity '" + s + "': low, medium, high or critical");
}

// A threat worker: bind() may return one number per bar (the class's threat_type is raised, at
// its severity, with that value, on every bar where it is a non-zero number: no Python call per
// bar), or None and the class defines assess(bar) returning None, an s1mple.Threat or a list.
class PyThreat final : public eng::ThreatWorker {
 public:
  explicit PyThreat(std::shared_ptr<PyHandle> h) : b_(std::move(h)) {}
  ~PyThreat() override {
    py::gil_scoped_acquire gil;
    assess_ = py::object();
    handles_.Release();
  }

 protected:
  Status OnBind(eng::BindContext& ctx) override {
    py::gil_scoped_acquire gil;
    try {
      auto bound = b_.Bind(ctx);
      if (!bound.ok()) return bound.status();
      py::object& obj = b_.handle().obj;
      type_ = handles_.state.Intern(py::str(obj.attr("threat_type")).cast<std::string>());
      severity_ = SeverityOf(py::str(obj.attr("severity")).cast<std::string>());
      blocks_ = obj.attr("blocks_new_entries").cast<bool>();
      py::object r = *bound;
      if (r.is_none()) {
        if (!py::hasattr(obj, "assess"))
          throw std::runtime_error("bind() returned None and the class has no assess(bar)");
        assess_ = obj.attr("assess");
        handles_.Make();
        return Status::Ok();
      }
      auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(r);
      if (!a || a.ndim() != 1 || static_cast<size_t>(a.shape(0)) != ctx.frame.size())
        throw std::runtime_error("bind() must return one number per bar (" +
                                 std::to_string(ctx.frame.size()) + ") or None");
      values_.assign(a.data(), a.data() + a.shape(0));
    } catch (py::error_already_set& e) {
      Rethrow(e);
    }
    return Status::Ok();
  }

  void OnAssess(const eng::BarContext& bar, eng::ThreatSink& out) override {
    if (!values_.empty()) {
      const double v = values_[bar.bar];
      if (v > 0 || v < 0) out.Raise(type_, severity_, blocks_, v);
      return;
    }
    py::gil_scoped_acquire gil;
    handles_.state.bar = &bar;
    CallScope scope{handles_.state};
    PyBinding::PublishScope events(b_, &out.events());
    try {
      py::object r = assess_(handles_.bar);
      if (r.is_none()) return;
      if (py::isinstance<py::list>(r) || py::isinstance<py::tuple>(r)) {
        for (auto t : r) RaiseOne(py::reinterpret_borrow<py::object>(t), out);
      } else {
        RaiseOne(r, out);
      }
    } catch (py::error_already_set& e) {
      Rethrow(e);
    }
  }

 private:
  void RaiseOne(const py::object& t, eng::ThreatSink& out) {
    if (!py::hasattr(t, "type") || !py::hasattr(t, "severity"))
      throw std::runtime_error("assess(bar) must return None, an s1mple.Threat or a list of them");
    out.Raise(handles_.state.Intern(py::str(t.attr("type")).cast<std::string>()),
              SeverityOf(py::str(t.attr("severity")).cast<std::string>()),
              t.attr("blocks_new_entries").cast<bool>(), t.attr("value").cast<double>());
  }

  PyBinding b_;
  Handles handles_;
  py::object assess_;
  std::vector<double> values_;
  std::string_view type_;
  eng::Severity severity_ = eng::Severity::kMedium;
  bool blocks_ = false;
};

// A planning worker: plan(bar, opportunity, plan) refines the plan for its phase.
class PyPlanning final : public eng::PlanningWorker {
 public:
  explicit PyPlanning(std::shared_ptr<PyHandle> h) : b_(std::move(h)) {}
  ~PyPlanning() override {
    py::gil_scoped_acquire gil;
    plan_ = py::object();
    on_event_ = py::object();
    handles_.Release();
  }

 protected:
  Status OnBind(eng::BindContext& ctx) override {
    py::gil_scoped_acquire gil;
    try {
      auto bound = b_.Bind(ctx);
      if (!bound.ok()) return bound.status();
      plan_ = b_.handle().obj.attr("plan");
      if (py::hasattr(b_.handle().obj, "on_event")) on_event_ = b_.handle().obj.attr("on_event");
      handles_.Make();
    } catch (py::error_already_set& e) {
      Rethrow(e);
    }
    return Status::Ok();
  }

  // A wired event fired on this bar: on_event(bar, name, value), before the bar's planning.
  void OnEvent(const eng::BarContext& bar, const eng::Event& event) override {
    if (!on_event_) return;
    py::gil_scoped_acquire gil;
    handles_.state.bar = &bar;
    CallScope scope{handles_.state};
    try {
      on_event_(handles_.bar, b_.EventName(event.id), event.value);
    } catch (py::error_already_set& e) {
      Rethrow(e);
    }
  }

  void OnPlan(const eng::PlanningInput& in, eng::TradePlan& plan) override {
    py::gil_scoped_acquire gil;
    handles_.state.bar = in.bar;
    handles_.state.in = &in;
    handles_.state.plan = &plan;
    CallScope scope{handles_.state};
    try {
      plan_(handles_.bar, handles_.opportunity, handles_.plan);
    } catch (py::error_already_set& e) {
      Rethrow(e);
    }
  }

 private:
  PyBinding b_;
  Handles handles_;
  py::object plan_;
  py::object on_event_;  // null: the class has none
};

// An execution worker: manage(bar, position) acts on the open position (also while flat).
class PyExecution final : public eng::ExecutionWorker {
 public:
  explicit PyExecution(std::shared_ptr<PyHandle> h) : b_(std::move(h)) {}
  ~PyExecution() override {
    py::gil_scoped_acquire gil;
    manage_ = py::object();
    handles_.Release();
  }

 protected:
  Status OnBind(eng::BindContext& ctx) override {
    py::gil_scoped_acquire gil;
    try {
      auto bound = b_.Bind(ctx);
      if (!bound.ok()) return bound.status();
      manage_ = b_.handle().obj.attr("manage");
      handles_.Make();
    } catch (py::error_already_set& e) {
      Rethrow(e);
    }
    return Status::Ok();
  }

  void OnManage(const eng::BarContext& bar, eng::PositionActions& actions) override {
    py::gil_scoped_acquire gil;
    handles_.state.bar = &bar;
    handles_.state.actions = &actions;
    CallScope scope{handles_.state};
    PyBinding::PublishScope events(b_, &actions.events());
    try {
      manage_(handles_.bar, handles_.actions);
    } catch (py::error_already_set& e) {
      Rethrow(e);
    }
  }

 private:
  PyBinding b_;
  Handles handles_;
  py::object manage_;
};

Result<eng::ParamSpec> ReadParam(const std::string& name, const py::handle& v) {
  auto t = py::reinterpret_borrow<py::tuple>(v);
  if (t.size() != 6)
    return Status::InvalidArgument("param '" + name + "': use s1mple.Int/Float/...");
  const std::string kind = t[0].cast<std::string>();
  auto bound = [&](int i) -> std::optional<double> {
    if (t[i].is_none()) return std::nullopt;
    return t[i].cast<double>();
  };
  const std::string doc = t[5].cast<std::string>();
  if (kind == "int") {
    eng::ParamSpec p = eng::plugin::Int(name, t[1].cast<int64_t>(), 0, 0, doc);
    p.min = bound(2);
    p.max = bound(3);
    return p;
  }
  if (kind == "float") {
    eng::ParamSpec p = eng::plugin::Float(name, t[1].cast<double>(), 0, 0, doc);
    p.min = bound(2);
    p.max = bound(3);
    return p;
  }
  if (kind == "bool") return eng::plugin::Bool(name, t[1].cast<bool>(), doc);
  if (kind == "string") return eng::plugin::String(name, t[1].cast<std::string>(), doc);
  if (kind == "enum")
    return eng::plugin::Enum(name, t[1].cast<std::string>(), t[4].cast<std::vector<std::string>>(),
                             doc);
  if (kind == "string_list") {
    std::vector<std::string> choices;
    if (!t[4].is_none()) choices = t[4].cast<std::vector<std::string>>();
    return eng::plugin::StringList(name, t[1].cast<std::vector<std::string>>(), std::move(choices),
                                   doc);
  }
  return Status::InvalidArgument("param '" + name + "': unknown kind '" + kind + "'");
}

std::vector<std::string> StringList(const py::object& cls, const char* attr) {
  std::vector<std::string> out;
  for (auto v : py::list(cls.attr(attr))) out.push_back(py::str(v).cast<std::string>());
  return out;
}

// The manifest of a worker class, from its class attributes.
Result<eng::PluginManifest> ReadManifest(const py::object& cls) {
  eng::PluginManifest m;
  m.name = py::str(cls.attr("name")).cast<std::string>();
  const std::string category = py::str(cls.attr("category")).cast<std::string>();
  if (category == "context")
    m.category = eng::WorkerCategory::kContext;
  else if (category == "opportunity")
    m.category = eng::WorkerCategory::kOpportunity;
  else if (category == "threat")
    m.category = eng::WorkerCategory::kThreat;
  else if (category == "planning")
    m.category = eng::WorkerCategory::kPlanning;
  else if (category == "execution")
    m.category = eng::WorkerCategory::kExecution;
  else
    return Status::InvalidArgument("category '" + category + "' is not one");
  m.subtype = py::str(cls.attr("subtype")).cast<std::string>();
  m.description = py::str(cls.attr("description")).cast<std::string>();
  m.default_triggers = StringList(cls, "triggers");
  if (m.default_triggers.empty() && m.category == eng::WorkerCategory::kOpportunity)
    m.default_triggers = {"on_context_ready"};
  m.produces_columns = StringList(cls, "produces");
  // The events capability: the custom events it publishes and the ones it listens to.
  m.publishes = StringList(cls, "publishes");
  m.wirings = StringList(cls, "wirings");
  m.event_driven = !m.publishes.empty() || !m.wirings.empty();
  if (m.category == eng::WorkerCategory::kPlanning) {
    for (const std::string& p : StringList(cls, "phases")) {
      std::optional<eng::PlanningPhase> phase;
      for (int i = 0; i < eng::kPlanningPhaseCount; ++i) {
        const auto ph = static_cast<eng::PlanningPhase>(i);
        const std::string_view key = eng::PlanningPhaseKey(ph);
        if (p == key || p == key.substr(0, key.find('_'))) phase = ph;
      }
      if (!phase)
        return Status::InvalidArgument("phases: '" + p +
                                       "' is not one (entry, exit, size, routing)");
      m.phases.push_back(*phase);
    }
  }
  for (auto [pk, pv] : py::reinterpret_borrow<py::dict>(cls.attr("params"))) {
    auto p = ReadParam(py::str(pk).cast<std::string>(), pv);
    if (!p.ok()) return p.status();
    m.params.push_back(std::move(p).value());
  }
  return m;
}

template <typename W>
eng::WorkerFactory PyFactory(py::object* cls, eng::PluginManifest manifest) {
  return [cls, manifest](const eng::ParamSet& p) -> Result<std::unique_ptr<eng::Worker>> {
    return std::unique_ptr<eng::Worker>(std::make_unique<W>(Instantiate(*cls, manifest, p)));
  };
}

class Bridge final : public eng::PythonBridge {
 public:
  Status LoadModule(const std::filesystem::path& path, eng::PluginRegistry& registry) override {
    py::gil_scoped_acquire gil;
    try {
      py::module_ util = py::module_::import("importlib.util");
      const std::string mod_name = "s1mple_plugin_" + std::to_string(++counter_);
      py::object spec = util.attr("spec_from_file_location")(mod_name, path.string());
      py::object mod = util.attr("module_from_spec")(spec);
      py::module_::import("sys").attr("dont_write_bytecode") = true;
      spec.attr("loader").attr("exec_module")(mod);
      py::object base = s1mple_.attr("Worker");
      py::object issubclass = py::module_::import("builtins").attr("issubclass");
      py::object isclass = py::module_::import("inspect").attr("isclass");
      int found = 0;
      for (auto [k, v] : py::reinterpret_borrow<py::dict>(mod.attr("__dict__"))) {
        if (!isclass(v).cast<bool>()) continue;
        py::object cls = py::reinterpret_borrow<py::object>(v);
        if (!issubclass(cls, base).cast<bool>()) continue;
        if (cls.attr("name").is_none()) continue;  // a base or an abstract helper class
        if (!py::hasattr(cls, "category")) continue;
        auto m = ReadManifest(cls);
        if (!m.ok())
          return Status::InvalidArgument("class " + py::str(k).cast<std::string>() + ": " +
                                         m.status().message());
        // The class lives as long as the process (packages are never unloaded).
        auto* held = new py::object(cls);
        eng::WorkerFactory f;
        switch (m->category) {
          case eng::WorkerCategory::kContext:
            f = PyFactory<PyContext>(held, *m);
            break;
          case eng::WorkerCategory::kOpportunity:
            f = PyFactory<PyOpportunity>(held, *m);
            break;
          case eng::WorkerCategory::kThreat:
            f = PyFactory<PyThreat>(held, *m);
            break;
          case eng::WorkerCategory::kPlanning:
            f = PyFactory<PyPlanning>(held, *m);
            break;
          case eng::WorkerCategory::kExecution:
            f = PyFactory<PyExecution>(held, *m);
            break;
        }
        S1MPLE_RETURN_IF_ERROR(registry.Register(std::move(m).value(), std::move(f)));
        ++found;
      }
      if (found == 0)
        return Status::InvalidArgument(
            "defines no worker class (a subclass of one of the s1mple worker bases, e.g. "
            "s1mple.OpportunityWorker, with a `name`)");
      return Status::Ok();
    } catch (py::error_already_set& e) {
      const bool missing = e.matches(PyExc_ModuleNotFoundError);
      const std::string tb = Traceback(e);
      if (missing)
        return Status::FailedPrecondition("a module it imports is not installed here:\n" + tb);
      return Status::InvalidArgument("raised at import:\n" + tb);
    }
  }

  Result<int> RunTests(const std::filesystem::path& path, std::string* report) override {
    py::gil_scoped_acquire gil;
    try {
      py::module_ sys = py::module_::import("sys");
      sys.attr("dont_write_bytecode") = true;
      py::list sys_path = sys.attr("path");
      const std::string dir = std::filesystem::absolute(path).parent_path().string();
      sys_path.insert(0, dir);  // the test imports the plugin module beside it
      py::module_ util = py::module_::import("importlib.util");
      py::object spec = util.attr("spec_from_file_location")(
          "s1mple_test_" + std::to_string(++counter_), path.string());
      py::object mod = util.attr("module_from_spec")(spec);
      spec.attr("loader").attr("exec_module")(mod);
      int tests = 0, failed = 0;
      for (auto [k, v] : py::reinterpret_borrow<py::dict>(mod.attr("__dict__"))) {
        const std::string name = py::str(k).cast<std::string>();
        if (name.rfind("test_", 0) != 0 || !PyCallable_Check(v.ptr())) continue;
        ++tests;
        try {
          v();
          *report += "ok " + name + "\n";
        } catch (py::error_already_set& e) {
          ++failed;
          *report += "FAILED " + name + ":\n" + Traceback(e) + "\n";
        }
      }
      if (tests == 0) return Status::InvalidArgument(path.string() + ": no test_* function");
      return failed;
    } catch (py::error_already_set& e) {
      return Status::InvalidArgument(path.string() + ": cannot import it:\n" + Traceback(e));
    }
  }

  std::string Version() const override { return version_; }

  Status Start() {
    py::initialize_interpreter(false);  // no signal handlers: s1mple keeps its own
    try {
      s1mple_ = py::module_::import("types").attr("ModuleType")("s1mple");
      py::exec(kModuleSource, s1mple_.attr("__dict__"));
      py::module_ handles = py::reinterpret_borrow<py::module_>(s1mple_);
      RegisterHandles(handles);
      py::module_::import("sys").attr("modules")["s1mple"] = s1mple_;
      py::module_ np = py::module_::import("numpy");
      version_ =
          "Python " +
          py::str(py::module_::import("platform").attr("python_version")()).cast<std::string>() +
          ", numpy " + py::str(np.attr("__version__")).cast<std::string>();
    } catch (py::error_already_set& e) {
      return Status::FailedPrecondition(Traceback(e));
    }
    save_ = PyEval_SaveThread();  // every call takes the GIL for its duration
    return Status::Ok();
  }

 private:
  py::object s1mple_;
  std::string version_;
  std::atomic<int> counter_{0};
  PyThreadState* save_ = nullptr;
};

}  // namespace

extern "C" __attribute__((visibility("default"))) eng::PythonBridge* s1mple_python_bridge_v1(
    int abi, std::string* error) {
  if (abi != eng::kPythonBridgeAbi) {
    *error = "bridge ABI " + std::to_string(eng::kPythonBridgeAbi) + ", asked for " +
             std::to_string(abi);
    return nullptr;
  }
  static Bridge* bridge = nullptr;  // never destroyed: the interpreter is never finalised
  if (!bridge) {
    auto* b = new Bridge;
    Status s = b->Start();
    if (!s.ok()) {
      *error = "the interpreter did not start: " + s.message();
      return nullptr;
    }
    bridge = b;
  }
  return bridge;
}
