// The Python bridge (engine/python_bridge.h): CPython embedded with pybind11. Built as a shared
// library of its own and carried inside the s1mple executable (bridge_blob.cc.in), so s1mple
// itself does not need libpython; it resolves the engine's symbols from the process that loads
// it, as a C++ plugin package does.
//
// The Python side, module `s1mple` (built in):
//
//   import numpy as np, s1mple
//   class MySignal(s1mple.OpportunityWorker):
//       name = "my_signal"                     # snake_case, unique
//       subtype = "momentum_signal"            # optional
//       description = "..."                    # optional
//       params = {"period": s1mple.Int(20, 2, 500, "bars in the window")}
//       def bind(self, bars):                  # once: bars["open"|"high"|"low"|"close"|"volume"]
//           ...                                # are read-only float64 NumPy views, no copy
//           return signal                      # one value per bar: > 0 long, < 0 short, 0/NaN
//                                              # none (|value| is the score); or None and define
//       # def on_bar(self, t): return 1.0      # a per-bar hook (one Python call per bar)
//
//   class MyColumn(s1mple.ContextWorker):
//       name = "my_column"
//       params = {...}
//       def compute(self, bars):              # once: {column name: one float per bar}
//           return {"my_column_20": ...}
//
// `self.params` holds the validated params (a dict). Exceptions raised anywhere become the
// job's failure, with the plugin's name, its YAML path and the Python traceback.
#include <pybind11/embed.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
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

class Worker:
    name = None
    subtype = ""
    description = ""
    params = {}

class ContextWorker(Worker):
    category = "context"
    def compute(self, bars):
        return {}

class OpportunityWorker(Worker):
    category = "opportunity"
    def bind(self, bars):
        return None

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

// The bar columns as read-only float64 NumPy views over the frame (no copy).
py::dict BarViews(const eng::ContextFrame& frame) {
  py::dict d;
  const char* names[] = {"open", "high", "low", "close", "volume"};
  py::none base;  // the frame outlives every call that sees these views
  for (eng::ColumnId id = 0; id < eng::kBarColumnCount; ++id) {
    auto col = frame.Column(id);
    py::array_t<double> a({static_cast<py::ssize_t>(col.size())}, {sizeof(double)}, col.data(),
                          py::capsule(col.data(), [](void*) {}));
    py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    d[names[id]] = a;
  }
  return d;
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

class PyOpportunity final : public eng::OpportunityWorker {
 public:
  explicit PyOpportunity(std::shared_ptr<PyHandle> h) : h_(std::move(h)) {}
  ~PyOpportunity() override {
    py::gil_scoped_acquire gil;  // drop the bound method with the GIL held
    on_bar_ = py::object();
  }

 protected:
  Status OnBind(eng::BindContext& ctx) override {
    py::gil_scoped_acquire gil;
    try {
      py::object r = h_->obj.attr("bind")(BarViews(ctx.frame));
      if (r.is_none()) {
        if (!py::hasattr(h_->obj, "on_bar"))
          throw std::runtime_error("bind() returned None and the class has no on_bar(t)");
        on_bar_ = h_->obj.attr("on_bar");
        return Status::Ok();
      }
      auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(r);
      if (!a || a.ndim() != 1 || static_cast<size_t>(a.shape(0)) != ctx.frame.size())
        throw std::runtime_error("bind() must return one number per bar (" +
                                 std::to_string(ctx.frame.size()) + ") or None");
      signal_.assign(a.data(), a.data() + a.shape(0));
    } catch (py::error_already_set& e) {
      throw std::runtime_error("Python raised:\n" + Traceback(e));
    }
    return Status::Ok();
  }

  void OnDetect(const eng::BarContext& bar, eng::OpportunitySink& out) override {
    double s;
    if (!signal_.empty()) {
      s = signal_[bar.bar];
    } else {
      py::gil_scoped_acquire gil;
      try {
        s = on_bar_(bar.bar).cast<double>();
      } catch (py::error_already_set& e) {
        throw std::runtime_error("Python raised:\n" + Traceback(e));
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
  std::shared_ptr<PyHandle> h_;
  std::vector<double> signal_;
  py::object on_bar_;  // the per-bar hook when bind() returned None; released with the GIL
};

class PyContext final : public eng::ContextWorker {
 public:
  explicit PyContext(std::shared_ptr<PyHandle> h) : h_(std::move(h)) {}

 protected:
  Status OnCompute(eng::ContextFrame& frame) override {
    py::gil_scoped_acquire gil;
    try {
      py::object r = h_->obj.attr("compute")(BarViews(frame));
      if (!py::isinstance<py::dict>(r))
        throw std::runtime_error("compute() must return a dict {column name: values}");
      for (auto [k, v] : py::reinterpret_borrow<py::dict>(r)) {
        const std::string name = py::str(k).cast<std::string>();
        auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(v);
        if (!a || a.ndim() != 1 || static_cast<size_t>(a.shape(0)) != frame.size())
          throw std::runtime_error("compute(): column '" + name + "' must have one number per bar");
        if (frame.Find(name)) continue;  // another entry computed it
        auto id = frame.AddColumn(name);
        if (!id.ok()) return id.status();
        auto col = frame.MutableColumn(*id);
        std::copy(a.data(), a.data() + a.shape(0), col.begin());
      }
    } catch (py::error_already_set& e) {
      throw std::runtime_error("Python raised:\n" + Traceback(e));
    }
    return Status::Ok();
  }

 private:
  std::shared_ptr<PyHandle> h_;
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
  return Status::InvalidArgument("param '" + name + "': unknown kind '" + kind + "'");
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
      py::object base_ctx = s1mple_.attr("ContextWorker");
      py::object base_opp = s1mple_.attr("OpportunityWorker");
      py::object issubclass = py::module_::import("builtins").attr("issubclass");
      py::object isclass = py::module_::import("inspect").attr("isclass");
      int found = 0;
      for (auto [k, v] : py::reinterpret_borrow<py::dict>(mod.attr("__dict__"))) {
        if (!isclass(v).cast<bool>()) continue;
        py::object cls = py::reinterpret_borrow<py::object>(v);
        if (cls.is(base_ctx) || cls.is(base_opp)) continue;
        const bool ctx = issubclass(cls, base_ctx).cast<bool>();
        const bool opp = issubclass(cls, base_opp).cast<bool>();
        if (!ctx && !opp) continue;
        if (cls.attr("name").is_none()) continue;  // an abstract helper class
        eng::PluginManifest m;
        m.name = py::str(cls.attr("name")).cast<std::string>();
        m.category = ctx ? eng::WorkerCategory::kContext : eng::WorkerCategory::kOpportunity;
        m.subtype = py::str(cls.attr("subtype")).cast<std::string>();
        m.description = py::str(cls.attr("description")).cast<std::string>();
        if (opp) m.default_triggers = {"on_context_ready"};
        for (auto [pk, pv] : py::reinterpret_borrow<py::dict>(cls.attr("params"))) {
          auto p = ReadParam(py::str(pk).cast<std::string>(), pv);
          if (!p.ok())
            return Status::InvalidArgument("class " + py::str(k).cast<std::string>() + ": " +
                                           p.status().message());
          m.params.push_back(std::move(p).value());
        }
        // The class lives as long as the process (packages are never unloaded).
        auto* held = new py::object(cls);
        const eng::PluginManifest copy = m;
        eng::WorkerFactory f;
        if (ctx)
          f = [held, copy](const eng::ParamSet& p) -> Result<std::unique_ptr<eng::Worker>> {
            return std::unique_ptr<eng::Worker>(
                std::make_unique<PyContext>(Instantiate(*held, copy, p)));
          };
        else
          f = [held, copy](const eng::ParamSet& p) -> Result<std::unique_ptr<eng::Worker>> {
            return std::unique_ptr<eng::Worker>(
                std::make_unique<PyOpportunity>(Instantiate(*held, copy, p)));
          };
        S1MPLE_RETURN_IF_ERROR(registry.Register(std::move(m), std::move(f)));
        ++found;
      }
      if (found == 0)
        return Status::InvalidArgument(
            "defines no worker class (a subclass of s1mple.OpportunityWorker or "
            "s1mple.ContextWorker with a `name`)");
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
