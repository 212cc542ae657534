// GetPythonBridge (engine/python_bridge.h): finds the bridge library carried in this executable
// (sdk/python/bridge_blob.cc.in, generated, links its bytes in; these weak symbols are null when it
// did not), loads libpython with RTLD_GLOBAL (extension modules such as numpy's resolve the
// interpreter's symbols from the global scope), then the bridge from an in-memory file, and calls
// its entry.
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "common/thread_annotations.h"
#include "engine/python_bridge.h"

extern "C" {
__attribute__((weak)) extern const unsigned char s1mple_python_bridge_blob[];
__attribute__((weak)) extern const unsigned char s1mple_python_bridge_blob_end[];
__attribute__((weak)) extern const char s1mple_python_bridge_libpython[];
}

namespace s1mple::engine {

namespace {

using EntryFn = PythonBridge* (*)(int, std::string*);

Result<PythonBridge*> Load() {
  if (s1mple_python_bridge_blob == nullptr || s1mple_python_bridge_blob_end == nullptr ||
      s1mple_python_bridge_libpython == nullptr)
    return Status::FailedPrecondition(
        "no Python on this runner: this s1mple was built without its Python bridge (it needs "
        "pybind11-dev and python3-dev at build time)");
  // S1MPLE_LIBPYTHON names another libpython (tests use it to play a machine without one).
  const char* override_lib = std::getenv("S1MPLE_LIBPYTHON");
  const std::string libpython =
      override_lib && *override_lib ? override_lib : s1mple_python_bridge_libpython;
  dlerror();
  if (!::dlopen(libpython.c_str(), RTLD_NOW | RTLD_GLOBAL)) {
    const char* e = dlerror();
    return Status::FailedPrecondition(
        "no Python on this machine: " + std::string(e ? e : libpython + " not found") +
        " (Debian: apt-get install python3 python3-numpy)");
  }
  // dlopen needs a file: an anonymous in-memory one holds the bridge's bytes.
  const size_t size =
      static_cast<size_t>(s1mple_python_bridge_blob_end - s1mple_python_bridge_blob);
  const int fd = ::memfd_create("s1mple-python-bridge", MFD_CLOEXEC);
  if (fd < 0)
    return Status::FailedPrecondition(std::string("cannot load the Python bridge: memfd_create: ") +
                                      std::strerror(errno));
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, s1mple_python_bridge_blob + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Status::FailedPrecondition(std::string("cannot load the Python bridge: write: ") +
                                        std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  dlerror();
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  ::close(fd);  // the mapping keeps the bytes
  if (!handle) {
    const char* e = dlerror();
    return Status::FailedPrecondition(std::string("cannot load the Python bridge: ") +
                                      (e ? e : "dlopen failed"));
  }
  auto entry = reinterpret_cast<EntryFn>(::dlsym(handle, "s1mple_python_bridge_v1"));
  if (!entry)
    return Status::FailedPrecondition("cannot load the Python bridge: it has no entry point");
  std::string error;
  PythonBridge* bridge = entry(kPythonBridgeAbi, &error);
  if (!bridge) return Status::FailedPrecondition("no usable Python on this machine: " + error);
  return bridge;
}

}  // namespace

Result<PythonBridge*> GetPythonBridge() {
  // Loaded once; a failure is remembered too (the machine will not grow a Python meanwhile).
  struct Loaded {
    Mutex mu;
    std::optional<Result<PythonBridge*>> bridge GUARDED_BY(mu);
  };
  static Loaded* loaded = new Loaded;  // never destroyed: the bridge is never unloaded
  MutexLock lock(&loaded->mu);
  if (!loaded->bridge) loaded->bridge.emplace(Load());
  return *loaded->bridge;
}

}  // namespace s1mple::engine
