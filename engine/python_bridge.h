// The Python bridge: s1mple's embedded CPython (pybind11), through which Python plugin packages
// run (docs/PLUGINS_GUIDE.md). It lives in a shared library of its own (sdk/python/bridge.cc),
// carried inside the s1mple executable (sdk/python/bridge_blob.cc.in) and loaded on the first use
// of a Python package, so s1mple starts, and runs C++ jobs, on a machine that has no Python at all;
// only Python jobs fail there, with a reason that says so.
//
// The interpreter is started once per process and never finalised. Every call into Python takes
// the GIL for its duration and releases it afterwards, so any thread may call; a run is
// single-threaded, so in a runner's pool process there is never a wait for it.
#pragma once

#include <filesystem>
#include <string>

#include "common/status.h"
#include "engine/plugin_registry.h"

namespace s1mple::engine {

// The bridge's interface version: the entry point refuses another (the bridge is always built
// with the s1mple it is carried in, so a mismatch is a build error, not a user's).
inline constexpr int kPythonBridgeAbi = 1;

class PythonBridge {
 public:
  virtual ~PythonBridge() = default;

  // Imports the module file at `path` under a name of its own (no bytecode is written next to
  // it; its directory is not put on sys.path, since a runner receives this one file) and
  // registers every worker class the module defines (a subclass of one of the s1mple bases with
  // a `name`) into `registry`, with manifests read from the class attributes. Errors:
  // InvalidArgument with the Python traceback (a syntax error, an exception at import, a manifest
  // s1mple refuses, no worker class); FailedPrecondition for a module it imports that is not
  // installed on this machine (ModuleNotFoundError).
  [[nodiscard]] virtual Status LoadModule(const std::filesystem::path& path,
                                          PluginRegistry& registry) = 0;

  // `s1mple plugin test FILE.py`: imports the test file with its own directory first on sys.path
  // (so it imports the plugin module beside it) and calls each of its module-level test_*
  // functions in file order, which use s1mple.testing to run plugins on hand-made bars. Appends
  // one line per test ("ok test_x" / "FAILED test_x: <traceback>") to *report. Returns the
  // number of tests that failed; an error when the file cannot be imported or holds no test.
  [[nodiscard]] virtual Result<int> RunTests(const std::filesystem::path& path,
                                             std::string* report) = 0;

  // "Python 3.11.2, numpy 1.24.2".
  virtual std::string Version() const = 0;
};

// The bridge of this process, loaded and started on first use. FailedPrecondition when this
// machine cannot run Python plugins, saying why: s1mple was built without the bridge, libpython
// is not installed, the interpreter cannot start (e.g. a bad PYTHONHOME), numpy is missing.
[[nodiscard]] Result<PythonBridge*> GetPythonBridge();

}  // namespace s1mple::engine

// The bridge's entry point (sdk/python/bridge.cc): starts the interpreter, imports numpy, and
// returns the bridge, or nullptr with the reason in *error.
extern "C" s1mple::engine::PythonBridge* s1mple_python_bridge_v1(int abi, std::string* error);
